package internal

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

// NewRand returns a PCG generator for (seed, stream). Use one stream number
// per purpose within a task (initialisation, data, noise, evaluation), so
// that adding draws to one purpose does not shift another's.
func NewRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// TaskSeed derives a task's seed from a base seed and its key: the first 8
// bytes (little-endian) of SHA-256(base as 8 little-endian bytes ‖ key).
// Equal inputs give equal seeds on every platform; different keys give
// seeds that are, for practical purposes, independent.
func TaskSeed(base uint64, key string) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], base)
	h.Write(b[:])
	h.Write([]byte(key))
	return binary.LittleEndian.Uint64(h.Sum(nil)[:8])
}
