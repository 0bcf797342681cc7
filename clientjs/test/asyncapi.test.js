// The AsyncAPI document of the WebSocket protocol (api/asyncapi.json, served at
// /asyncapi.json) parses with the reference parser, @asyncapi/parser, without errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Parser } from '@asyncapi/parser';

const documentURL = new URL('../../api/asyncapi.json', import.meta.url);

test('api/asyncapi.json is a valid AsyncAPI 3.0 document', async () => {
  const text = await readFile(documentURL, 'utf8');
  const { document, diagnostics } = await new Parser().parse(text);
  // Severity 0 is an error; warnings and hints do not fail the document.
  const errors = diagnostics.filter((d) => d.severity === 0);
  assert.deepEqual(errors.map((d) => `${d.path.join('.')}: ${d.message}`), []);
  assert.ok(document, 'the parser returned no document');
  assert.equal(document.version(), '3.0.0');
  const types = document.operations().all().flatMap((op) => op.messages().all().map((m) => `${op.action()} ${m.name()}`));
  for (const want of ['receive hello', 'receive thread.added', 'receive counts', 'receive reset', 'send seen', 'send typing', 'send ping']) {
    assert.ok(types.includes(want), `no ${want} message in ${types.join(', ')}`);
  }
});
