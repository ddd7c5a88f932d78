package entitlement_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
)

// An extension record that the ledger's strict decoder would refuse (a string of invalid UTF-8, a
// nesting deeper than the decoder allows) is refused by Op.Put as invalid input, so no extension
// can write a record that makes its own reads, the partner's reads, export and the integrity check
// fail ever after.
func TestOp_PutRefusesARecordTheDecoderWouldRefuse(t *testing.T) {
	f, l, _ := extFixture(t)
	type deep struct {
		Next *deep `cbor:"1,keyasint,omitempty"`
	}
	var nested *deep
	for range 12 {
		nested = &deep{Next: nested}
	}
	for name, v := range map[string]any{
		"invalid UTF-8":     unitRec{Partner: "distx", Part: "PO-\xff", Qty: 1},
		"nested too deeply": nested,
	} {
		before, err := l.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = l.Update(ctx, f.Dist, "test.put", func(x *entitlement.Op) error { return x.Put("test.units", "k", v) })
		if !errors.Is(err, entitlement.ErrInvalid) {
			t.Fatalf("%s: %v, want ErrInvalid", name, err)
		}
		if after, _ := l.Snapshot(ctx); !reflect.DeepEqual(before, after) {
			t.Fatalf("%s: the refused put changed the ledger", name)
		}
	}
	// A valid record still round-trips.
	err := l.Update(ctx, f.Dist, "test.put", func(x *entitlement.Op) error {
		return x.Put("test.units", "k", unitRec{Partner: "distx", Part: "BE112031", Qty: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	var got unitRec
	if err := l.View(ctx, f.Dist, "test.get", func(x *entitlement.Op) error { _, err := x.Get("test.units", "k", &got); return err }); err != nil || got.Part != "BE112031" {
		t.Fatalf("get %+v %v", got, err)
	}
}
