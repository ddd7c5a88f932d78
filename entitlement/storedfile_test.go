package entitlement_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/storetest"
)

// TestStoredFile_SVIKeptOnce: a file LicenseIssuer issues for an SVI container is kept once (its
// record holds the signed file, not also the zip that holds it), and every way the file is read
// gives the download the activation returned, byte for byte: Download, a second activation's
// download, the demo files, an export (as before: with its data) and an import of it.
func TestStoredFile_SVIKeptOnce(t *testing.T) {
	s := entitlement.NewMemStore()
	f := storetest.NewFixture(t, s, 1)
	l := realIssuer(s)
	loc := newLocation(t, f, f.Dist, "SV8100", "191000343919")
	must[[]entitlement.Line](t)(l.Attach(ctx, f.Dist, loc.ID, picksAll(shipSV8100(t, f, f.DistP, "PO1"))))
	act := must[entitlement.Issued](t)(l.Activate(ctx, f.Dist, loc.ID, entitlement.Activation{AcceptAgreement: true}))
	rec := must[entitlement.Snapshot](t)(l.Snapshot(ctx))["files"][loc.ID]
	if len(rec) >= len(act.File)+len(act.Data) || !bytes.Contains([]byte(rec), act.File) || bytes.Contains([]byte(rec), act.Data) {
		t.Fatalf("record of %d bytes for a file of %d and a zip of %d: the zip is kept", len(rec), len(act.File), len(act.Data))
	}
	dl := must[entitlement.Issued](t)(l.Download(ctx, f.Dist, loc.ID))
	if d := cmp.Diff(act, dl); d != "" {
		t.Fatalf("the download differs from what the activation returned (-activation +download):\n%s", d)
	}
	demo := must[entitlement.Issued](t)(l.GenerateDemo(ctx, f.Dist, loc.ID))
	demos := must[[]entitlement.Issued](t)(l.DemoFiles(ctx, f.Dist, loc.ID))
	if len(demos) != 1 || !bytes.Equal(demos[0].Data, demo.Data) || demos[0].Name != demo.Name {
		t.Fatalf("demo file read back differs: %v, want %v", demos, demo)
	}
	var exp bytes.Buffer
	must[int](t)(entitlement.Export(ctx, s, &exp))
	if !bytes.Contains(exp.Bytes(), []byte(fmt.Sprintf(`"data":"%s"`, base64.StdEncoding.EncodeToString(act.Data)))) {
		t.Fatal("the export does not hold the file's zip")
	}
	s2 := entitlement.NewMemStore()
	must[int](t)(entitlement.Import(ctx, s2, bytes.NewReader(exp.Bytes()), nil))
	if d := cmp.Diff(must[entitlement.Snapshot](t)(l.Snapshot(ctx)), must[entitlement.Snapshot](t)(reopen(s2).Snapshot(ctx))); d != "" {
		t.Fatalf("the import keeps files otherwise (-original +imported):\n%s", d)
	}
	// A kept file whose signed bytes were damaged so that they no longer parse cannot give its
	// zip: refused with ErrCorrupt, not served.
	ok(t, s.Update(ctx, func(tx entitlement.Tx) error {
		return tx.Put("files", loc.ID, bytes.Replace([]byte(rec), act.File[len(act.File)-70:], make([]byte, 70), 1))
	}))
	if _, err := l.Download(ctx, f.Dist, loc.ID); !errors.Is(err, entitlement.ErrCorrupt) {
		t.Fatalf("download of a damaged file: %v", err)
	}
}
