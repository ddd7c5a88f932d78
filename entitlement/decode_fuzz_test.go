package entitlement

import (
	"errors"
	"testing"
	"time"
)

// FuzzDecodeRecords feeds hostile bytes to the record decoder the ledger uses on everything it
// reads from a store (a store file can be damaged or edited): every input either decodes or fails
// with ErrCorrupt; nothing panics. Seeds are real records.
func FuzzDecodeRecords(f *testing.F) {
	now := time.Date(2012, 12, 28, 10, 0, 0, 0, time.UTC)
	for _, v := range []any{
		ShippedLine{ID: 1, Partner: "p", PO: "PO", SO: "SO", Part: "BE107573", Shipped: 5, InBin: 5, ShippedAt: now},
		Line{SKC: "AA19MXCH1TN7A43ML65B", Location: "l", Source: 1, Part: "BE107582", Qty: 5, State: StateAttached, AttachedAt: now},
		Location{ID: "l", Customer: "c", Partner: "p", Name: "Location A", System: "SV8100", HWKC: "191000343919", DemosLeft: 2, Created: now,
			Attrs: []Attr{{AttrIP, "123.0.0.105"}}, Verticals: []string{"x"}},
		AuditRecord{Seq: 1, Time: now, User: "u", Op: "attach", Changes: []QtyChange{{Line: 1, Part: "x", After: Qty{Shipped: 1, InBin: 1}}}, Prev: []byte{}},
		Issued{Location: "l", Serial: 1, Issued: now, Name: "n", Data: []byte{1}, File: []byte{2}},
		Line{SKC: "UF44J2MPACHTX7VK5DFJ", Location: "l", Source: 2, Part: "BE114066", Qty: 4, State: StateActivated, PO: "MIGSU_2019071769",
			AttachedAt: now, ActivatedAt: now, MigratedFrom: "4N346R8310HVR14PNDLL"},
		Location{ID: "l", Customer: "c", Partner: "p", Name: "SV9100-4", System: "SV9100 CP20", HWKC: "441018029547", Created: now,
			FormerHWKC: []string{"341006761783"}, Imported: true},
		Issued{Location: "l", Serial: 2, Issued: now, Name: "um.lic", Data: []byte{1}, File: []byte{1}, External: true, Pending: true},
		Reshipment{ID: 1, From: "d", To: "r", Lines: []ReshippedPart{{From: 1, To: 2, Part: "x", Qty: 1}}, Time: now},
		User{ID: "u", Name: "n", Partner: "p", Roles: RoleLMSUser}, Partner{ID: "p", Name: "n", Kind: KindDealer},
	} {
		b, err := enc(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xbf, 0xff})
	f.Add([]byte{0xa1, 0x01, 0x01, 0x01, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v := range []any{&ShippedLine{}, &Line{}, &Location{}, &AuditRecord{}, &Issued{}, &Reshipment{}, &Return{}, &User{}, &Partner{}, &Customer{}, &auditHead{}} {
			if err := dec(b, v); err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%T: error %v does not match ErrCorrupt", v, err)
			}
		}
	})
}
