package entitlement

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fastTypes are the records with a hand-written codec (recordcodec.go).
var fastTypes = []any{Line{}, ShippedLine{}, Location{}, User{}, Partner{}, auditHead{}, AuditRecord{}}

// randomFill sets every exported field of the value v points to at random, reaching the edges of
// every encoding: empty, short and long strings (invalid UTF-8 among them), integers at the
// boundaries of each head size and of their type, zero and negative times, nil, empty and full
// slices.
func randomFill(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString([]string{"", "a", "ED@distx", "ünïcødé", strings.Repeat("x", 23), strings.Repeat("y", 24),
			strings.Repeat("z", 255), strings.Repeat("w", 256), "bad \xff utf-8", "\x00sep"}[r.IntN(10)])
	case reflect.Int, reflect.Int64:
		v.SetInt([]int64{0, 1, -1, 23, 24, -24, -25, 255, 256, -256, -257, 65535, 65536, -65537, math.MaxUint32, math.MaxUint32 + 1,
			math.MaxInt64, math.MinInt64, r.Int64(), -r.Int64()}[r.IntN(20)])
	case reflect.Uint64:
		v.SetUint([]uint64{0, 1, 23, 24, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64, r.Uint64()}[r.IntN(12)])
	case reflect.Uint8:
		v.SetUint(uint64([]uint8{0, 1, 5, 23, 24, 255}[r.IntN(6)]))
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Slice:
		switch r.IntN(4) {
		case 0:
			v.Set(reflect.Zero(v.Type()))
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			n := r.IntN(30)
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				randomFill(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Struct:
		if v.Type() == timeType {
			var t time.Time
			switch r.IntN(5) {
			case 0:
			case 1:
				t = time.Unix(r.Int64N(1<<40)-1<<39, 0)
			case 2:
				t = time.Unix(r.Int64N(4e9), int64(r.IntN(1e9))).In(time.FixedZone("X", 3600))
			case 3:
				t = time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)
			default:
				t = time.Unix(int64(r.IntN(300))-150, 0)
			}
			v.Set(reflect.ValueOf(t))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				randomFill(r, v.Field(i))
			}
		}
	}
}

// TestRecordCodec_SameBytes: for random records of every type with a hand-written codec, the
// encoding is the general codec's byte for byte, and decoding it gives what the general decoder
// gives.
func TestRecordCodec_SameBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, proto := range fastTypes {
		typ := reflect.TypeOf(proto)
		t.Run(typ.Name(), func(t *testing.T) {
			for i := range 3000 {
				p := reflect.New(typ)
				randomFill(r, p.Elem())
				v := p.Elem().Interface()
				want, err := encMode.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				got, ok := encFast(v)
				if !ok {
					t.Fatalf("%s has no fast encoder", typ)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("case %d: %+v\nfast    %x\ngeneral %x", i, v, got, want)
				}
				if gotPtr, _ := encFast(p.Interface()); !bytes.Equal(gotPtr, want) {
					t.Fatalf("case %d: through a pointer %x, want %x", i, gotPtr, want)
				}
				sameDecode(t, want, typ)
			}
		})
	}
}

// sameDecode decodes b with the fast path and the general decoder into values of type typ and
// fails unless the fast path declined or both agree. It reports whether the fast path took it.
func sameDecode(t *testing.T, b []byte, typ reflect.Type) bool {
	t.Helper()
	f := reflect.New(typ)
	took := decFast(b, f.Interface())
	g := reflect.New(typ)
	gerr := decMode.Unmarshal(b, g.Interface())
	toUTC(g.Interface())
	if !took {
		if !reflect.DeepEqual(f.Elem().Interface(), reflect.Zero(typ).Interface()) {
			t.Fatalf("the fast path declined %x and left %+v behind", b, f.Elem().Interface())
		}
		return false
	}
	if gerr != nil {
		t.Fatalf("the fast path took %x, which the general decoder refuses: %v", b, gerr)
	}
	if d := cmp.Diff(g.Elem().Interface(), f.Elem().Interface(), cmp.AllowUnexported(auditHead{})); d != "" {
		t.Fatalf("%x decodes differently (-general +fast):\n%s", b, d)
	}
	if !reflect.DeepEqual(g.Elem().Interface(), f.Elem().Interface()) {
		t.Fatalf("%x decodes to values that are not deeply equal (nil and empty slices?)", b)
	}
	return true
}

// TestRecordCodec_DeclinesWhatItDoesNotWrite: inputs outside the encoders' form go to the general
// decoder, which decides as before.
func TestRecordCodec_DeclinesWhatItDoesNotWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"long head for a small key", []byte{0xa1, 0x18, 0x01, 0x61, 0x41}},
		{"long head for a small value", []byte{0xa1, 0x03, 0x18, 0x05}},
		{"indefinite map", []byte{0xbf, 0x01, 0x61, 0x41, 0xff}},
		{"duplicate key", []byte{0xa2, 0x01, 0x61, 0x41, 0x01, 0x61, 0x42}},
		{"unknown key", []byte{0xa1, 0x1f, 0x00}},
		{"invalid utf-8", []byte{0xa1, 0x01, 0x61, 0xff}},
		{"time as a float", []byte{0xa1, 0x0a, 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}},
		{"time as a tag", []byte{0xa1, 0x0a, 0xc1, 0x01}},
		{"null quantity", []byte{0xa1, 0x05, 0xf6}},
		{"trailing byte", []byte{0xa1, 0x05, 0x01, 0x00}},
		{"truncated", []byte{0xa1, 0x01, 0x65, 0x41}},
		{"state too large", []byte{0xa1, 0x06, 0x19, 0x01, 0x00}},
		{"quantity beyond int64", []byte{0xa1, 0x05, 0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if sameDecode(t, tc.in, reflect.TypeFor[Line]()) {
				t.Fatalf("the fast path took %x", tc.in)
			}
		})
	}
}

// FuzzRecordCodec: whatever the bytes, the fast decoder takes only what the general decoder
// decodes to the same value, and it takes every record the encoders write.
func FuzzRecordCodec(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, proto := range fastTypes {
		p := reflect.New(reflect.TypeOf(proto))
		randomFill(r, p.Elem())
		b, _ := encFast(p.Elem().Interface())
		f.Add(b)
	}
	f.Add([]byte{0xa1, 0x18, 0x01, 0x61, 0x41})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, proto := range fastTypes {
			typ := reflect.TypeOf(proto)
			took := sameDecode(t, b, typ)
			if took {
				continue
			}
			// Declined: then it is not a record the encoder writes.
			g := reflect.New(typ)
			if decMode.Unmarshal(b, g.Interface()) != nil {
				continue
			}
			if again, _ := encFast(g.Elem().Interface()); bytes.Equal(again, b) {
				t.Fatalf("the fast path declined %x, an encoding of %s it writes", b, typ)
			}
		}
	})
}
