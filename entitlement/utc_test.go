package entitlement

import (
	"testing"
	"time"
)

// Times come back in UTC whatever the process's zone: the decoder alone would give local times,
// and a grace period's month end computed on them would depend on where the server runs.
func TestDecodedTimesAreUTC(t *testing.T) {
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.FixedZone("UTC-8", -8*3600)
	type inner struct {
		At time.Time `cbor:"1,keyasint"`
	}
	type rec struct {
		A     time.Time  `cbor:"1,keyasint"`
		B     *time.Time `cbor:"2,keyasint"`
		C     []inner    `cbor:"3,keyasint"`
		D     [1]inner   `cbor:"4,keyasint"`
		Plain string     `cbor:"5,keyasint"`
	}
	when := time.Date(2014, 12, 31, 23, 0, 0, 0, time.UTC)
	b, err := enc(rec{A: when, B: &when, C: []inner{{when}}, D: [1]inner{{when}}, Plain: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var got rec
	if err := dec(b, &got); err != nil {
		t.Fatal(err)
	}
	for name, tm := range map[string]time.Time{"field": got.A, "pointer": *got.B, "slice": got.C[0].At, "array": got.D[0].At} {
		if tm.Location() != time.UTC || !tm.Equal(when) {
			t.Errorf("%s: %v in %v, want %v in UTC", name, tm, tm.Location(), when)
		}
	}
	var loc Location
	b, _ = enc(Location{ID: "x", Created: when})
	if err := dec(b, &loc); err != nil || loc.Created.Location() != time.UTC {
		t.Fatalf("Location.Created %v %v", loc.Created.Location(), err)
	}
}
