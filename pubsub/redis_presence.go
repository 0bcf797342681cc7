package pubsub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/supportd/supportd/store"
)

// presenceScanCount is the COUNT hint of each SCAN step: keys are one per
// instance, so one or two steps cover any real deployment without a long call.
const presenceScanCount = 100

func (r *Redis) presenceKey(instance string) string { return r.prefix + "presence:" + instance }

// SetPresence replaces this instance's hash <prefix>presence:<instance> (field =
// person id, value = name) in one MULTI/EXEC: DEL, HSET, PEXPIRE ttl. A reader
// never sees a half-written list, and a crashed instance's key expires by itself.
// An empty list only deletes the key.
func (r *Redis) SetPresence(ctx context.Context, instance string, online []store.Person, ttl time.Duration) error {
	if instance == "" {
		return errors.New("pubsub: presence needs an instance name")
	}
	if ttl <= 0 {
		return fmt.Errorf("pubsub: presence ttl must be positive, got %v", ttl)
	}
	if r.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	key := r.presenceKey(instance)
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		if len(online) > 0 {
			fields := make([]any, 0, 2*len(online))
			for _, person := range online {
				fields = append(fields, string(person.ID), person.Name)
			}
			p.HSet(ctx, key, fields...)
			p.PExpire(ctx, key, ttl)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pubsub: set presence of %s: %w", instance, err)
	}
	return nil
}

// Presence reads every <prefix>presence:* hash (SCAN, which unlike KEYS does not
// block Redis) but except's, and returns their union, sorted by id, one entry per
// person.
func (r *Redis) Presence(ctx context.Context, except string) ([]store.Person, error) {
	if r.closed.Load() {
		return nil, ErrClosed
	}
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	base := r.presenceKey("")
	var keys []string
	iter := r.client.Scan(ctx, 0, globEscape(base)+"*", presenceScanCount).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("pubsub: scan presence: %w", err)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys) // SCAN may return a key twice
	if except != "" {
		keys = slices.DeleteFunc(keys, func(k string) bool { return k == r.presenceKey(except) })
	}

	cmds := make([]*redis.MapStringStringCmd, len(keys))
	if len(keys) > 0 {
		_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				cmds[i] = p.HGetAll(ctx, k)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("pubsub: read presence: %w", err)
		}
	}
	lists := map[string][]store.Person{}
	for i, k := range keys {
		instance := strings.TrimPrefix(k, base)
		for id, name := range cmds[i].Val() { // an expired key reads as empty
			pid, err := store.ParseID(id)
			if err != nil {
				r.log.Warn("skipping malformed presence entry", "key", k, "err", err)
				continue
			}
			lists[instance] = append(lists[instance], store.Person{ID: pid, Name: name})
		}
	}
	return unionPresence(lists), nil
}

// globEscape quotes the characters SCAN MATCH treats as a pattern, so a prefix
// like "app[1]:" matches only itself.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
