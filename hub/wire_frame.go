package hub

import "encoding/binary"

// textFrame frames payload as one final, unmasked text frame (RFC 6455 §5.2): the
// FIN bit and opcode 0x1, then a 7-, 16- or 64-bit length, then the payload.
// Server → client frames are never masked, so a frame is the same bytes for every
// socket: it is built once per audience and written as is to each connection
// (wireConn.writeFrames), bypassing the library's per-message write path.
func textFrame(payload []byte) []byte {
	return append(frameHeader(len(payload)), payload...)
}

// frameHeader is the header of a text frame of n payload bytes (see textFrame),
// with room for the payload.
func frameHeader(n int) []byte {
	return appendFrameHeader(make([]byte, 0, headerSize(n)+n), n)
}

// headerSize is the size of the header of a text frame of n payload bytes.
func headerSize(n int) int {
	switch {
	case n <= 125:
		return 2
	case n <= 0xffff:
		return 4
	}
	return 10
}

// appendFrameHeader appends the header of a text frame of n payload bytes.
func appendFrameHeader(b []byte, n int) []byte {
	const finText = 0x80 | 0x1 // FIN, text
	switch {
	case n <= 125:
		return append(b, finText, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, finText, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, finText, 127), uint64(n))
	}
}

// pingFrame is a ping (FIN, opcode 0x9) with no payload.
func pingFrame() []byte { return []byte{0x89, 0x00} }

// isPing says whether a batch is the heartbeat's ping (not counted as delivered).
func isPing(frames [][]byte) bool {
	return len(frames) == 1 && len(frames[0]) == 2 && frames[0][0] == 0x89
}

// payloadOf is the payload of a frame built here (textFrame, encodeLists): what
// the plain write path (Config.PlainWrites) hands the library as a message.
func payloadOf(frame []byte) []byte {
	switch frame[1] & 0x7f {
	case 126:
		return frame[4:]
	case 127:
		return frame[10:]
	}
	return frame[2:]
}
