package entitlement_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lmskit/lmskit/entitlement"
)

// TestAudit_Paging pages through the audit log: every record once, in order; limit <= 0 means the
// default page, a huge limit is capped; a page after the head is empty.
func TestAudit_Paging(t *testing.T) {
	f := newFixture(t)
	l := f.L
	for i := range 130 {
		must[entitlement.Customer](t)(l.CreateCustomer(ctx, f.Dist, entitlement.Customer{Name: fmt.Sprint("c", i)}))
	}
	head, _, err := l.AuditHead(ctx)
	ok(t, err)
	if head <= entitlement.AuditPageDefault {
		t.Fatalf("only %d records: the test needs more than one default page", head)
	}
	var seqs, want []uint64
	for after := uint64(0); ; {
		page := must[[]entitlement.AuditRecord](t)(l.Audit(ctx, f.Admin, after, 7))
		if len(page) == 0 {
			break
		}
		if len(page) > 7 {
			t.Fatalf("page of %d records with limit 7", len(page))
		}
		for _, r := range page {
			seqs = append(seqs, r.Seq)
		}
		after = page[len(page)-1].Seq
	}
	for s := uint64(1); s <= head; s++ {
		want = append(want, s)
	}
	if d := cmp.Diff(want, seqs); d != "" {
		t.Fatalf("paged sequence numbers (-want +got):\n%s", d)
	}
	for _, c := range []struct {
		name, why string
		after     uint64
		limit     int
		want      int
	}{
		{"zero limit", "0 means the default page, not one record", 0, 0, entitlement.AuditPageDefault},
		{"negative limit", "negative means the default page", 0, -5, entitlement.AuditPageDefault},
		{"huge limit", "capped (here by the log's length, below the cap)", 0, math.MaxInt, int(head)},
		{"from the middle", "starts right after after", head - 3, 10, 3},
		{"at the head", "nothing after the newest record", head, 10, 0},
		{"past everything", "no overflow at the top", math.MaxUint64, 10, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := must[[]entitlement.AuditRecord](t)(l.Audit(ctx, f.Admin, c.after, c.limit))
			if len(got) != c.want {
				t.Fatalf("%s: %d records, want %d", c.why, len(got), c.want)
			}
			if len(got) > 0 && got[0].Seq != c.after+1 {
				t.Fatalf("%s: first record %d, want %d", c.why, got[0].Seq, c.after+1)
			}
		})
	}
}
