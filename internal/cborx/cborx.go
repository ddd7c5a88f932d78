// Package cborx is the one place lmskit builds its CBOR encoding and decoding modes. Build the
// decoding mode once, with the limits of the format it reads, and use the shared encoding mode:
//
//	var dec = cborx.MustDecMode(cborx.Limits{MaxMap: 16}) // built once, at package level
//
//	b, err := cborx.EncMode().Marshal(v)
//	if err != nil {
//		return err
//	}
//	if err := dec.Unmarshal(b, &got); err != nil { // duplicate keys, unknown fields, … refused
//		return err
//	}
//
// Encoding is RFC 8949 core deterministic encoding (section 4.2.1): shortest integer and length forms,
// definite lengths only, map keys sorted bytewise. Decoding of untrusted bytes rejects duplicate map
// keys, indefinite lengths, invalid UTF-8, unknown struct fields, NaN and infinities, and caps nesting,
// array length and map size, so that no input can allocate without bound. Callers pick limits with
// [Limits] and cache the resulting mode; building a mode is not free.
package cborx

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Limits bound what one decode may accept.
type Limits struct {
	// MaxNested is the deepest nesting of arrays, maps and tags. Zero means 16.
	MaxNested int
	// MaxArray is the most elements one array may hold. Zero means 1024.
	MaxArray int
	// MaxMap is the most pairs one map may hold. Zero means 64.
	MaxMap int
}

func (l Limits) withDefaults() Limits {
	if l.MaxNested == 0 {
		l.MaxNested = 16
	}
	if l.MaxArray == 0 {
		l.MaxArray = 1024
	}
	if l.MaxMap == 0 {
		l.MaxMap = 64
	}
	return l
}

// EncMode returns the core deterministic encoding mode.
func EncMode() cbor.EncMode {
	return encMode
}

var encMode = mustEncMode()

func mustEncMode() cbor.EncMode {
	opts := cbor.CoreDetEncOptions()
	// Times are written by callers as integers; never let a time.Time pick its own form.
	opts.Time = cbor.TimeUnix
	opts.IndefLength = cbor.IndefLengthForbidden
	opts.NilContainers = cbor.NilContainerAsEmpty
	em, err := opts.EncMode()
	if err != nil {
		panic(fmt.Sprintf("cborx: building encode mode: %v", err))
	}
	return em
}

// DecMode returns a strict decoding mode for untrusted input with the given limits.
// It returns an error only when the limits are outside what the CBOR library supports.
func DecMode(l Limits) (cbor.DecMode, error) {
	l = l.withDefaults()
	opts := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		MaxNestedLevels:   l.MaxNested,
		MaxArrayElements:  l.MaxArray,
		MaxMapPairs:       l.MaxMap,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
		NaN:               cbor.NaNDecodeForbidden,
		Inf:               cbor.InfDecodeForbidden,
		IntDec:            cbor.IntDecConvertNone,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
	}
	return opts.DecMode()
}

// MustDecMode is DecMode for limits fixed in the program's source; it panics on a broken contract.
func MustDecMode(l Limits) cbor.DecMode {
	dm, err := DecMode(l)
	if err != nil {
		panic(fmt.Sprintf("cborx: building decode mode: %v", err))
	}
	return dm
}
