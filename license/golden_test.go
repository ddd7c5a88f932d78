package license

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from the builders")

// goldenVector is one signed license file kept in testdata/golden.json, with what it must open
// to. The files are signed by the fixed test key (seed 0x42 repeated); they pin the format: a
// change to the encoding shows up here as a diff.
type goldenVector struct {
	Title          string `json:"title"`
	Why            string `json:"why"`
	PublicKey      string `json:"public_key_hex"` // the Ed25519 key that verifies Signed
	Signed         string `json:"signed_hex"`
	ActivationCode string `json:"activation_code"`
	Serial         string `json:"serial"`
	System         string `json:"system"`
	HWKC           string `json:"hwkc"`
	Term           string `json:"term"`
	Set            string `json:"set"`

	signed []byte
}

var goldenBuilders = []struct {
	title, why string
	build      func(t testing.TB) *File
}{
	{"sv8100-guide-permanent", "the four lines the guide activates on SV8100 191000343919, permanent", sv8100File},
	{"sv9500-pair-every-field", "a fixed-term (C) file with every file, host and line field set", fullFile},
	{"sv8100-50-lines", "a large location: 50 count lines (the benchmark file)", func(t testing.TB) *File { return bigFile(t, 50) }},
}

const goldenPath = "testdata/golden.json"

func loadGolden(t testing.TB) []goldenVector {
	t.Helper()
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("reading %s: %v (run go test -run TestGolden -update to create it)", goldenPath, err)
	}
	var vs []goldenVector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	for i := range vs {
		if vs[i].signed, err = hex.DecodeString(vs[i].Signed); err != nil {
			t.Fatal(err)
		}
	}
	return vs
}

func TestGolden(t *testing.T) {
	var built []goldenVector
	for _, g := range goldenBuilders {
		f := g.build(t)
		signed := mustSign(t, f)
		s, err := f.Set()
		if err != nil {
			t.Fatal(err)
		}
		built = append(built, goldenVector{
			Title: g.title, Why: g.why, PublicKey: hex.EncodeToString(testKey.Public().Bytes()),
			Signed: hex.EncodeToString(signed), ActivationCode: ActivationCode(signed),
			Serial: f.Serial, System: string(f.Host.System), HWKC: f.Host.Code.String(), Term: f.Term.String(), Set: s.String(),
		})
	}
	if *update {
		b, err := json.MarshalIndent(built, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden := loadGolden(t)
	kr := testKeyring(t)
	for i, g := range golden {
		t.Run(g.Title, func(t *testing.T) {
			f, err := Open(g.signed, kr)
			if err != nil {
				t.Fatalf("golden file does not open: %v", err)
			}
			s, _ := f.Set()
			got := goldenVector{Title: g.Title, Why: g.Why, PublicKey: hex.EncodeToString(testKey.Public().Bytes()),
				Signed: g.Signed, ActivationCode: ActivationCode(g.signed),
				Serial: f.Serial, System: string(f.Host.System), HWKC: f.Host.Code.String(), Term: f.Term.String(), Set: s.String()}
			if d := cmp.Diff(g, got, cmp.AllowUnexported(goldenVector{}), cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".signed" }, cmp.Ignore())); d != "" {
				t.Errorf("golden (-want +got):\n%s", d)
			}
			// Signing the same File today gives the same bytes: the format has not drifted.
			if i < len(built) && built[i].Title == g.Title {
				if !bytes.Equal(mustSign(t, goldenBuilders[i].build(t)), g.signed) {
					t.Error("signing the golden File today gives different bytes: the encoding changed")
				}
			}
		})
	}
}

// payloadVector is one payload of testdata/payload_vectors.json: the hostile payload table in a
// form other implementations of FORMAT.md can run (want is "ok", "malformed" or "invalid").
type payloadVector struct {
	Title   string `json:"title"`
	Why     string `json:"why"`
	Payload string `json:"payload_hex"`
	Want    string `json:"want"`
}

const payloadVectorsPath = "testdata/payload_vectors.json"

func TestPayloadVectors(t *testing.T) {
	var built []payloadVector
	for _, tc := range payloadCases() {
		want := "ok"
		switch tc.wantErr {
		case ErrMalformed:
			want = "malformed"
		case ErrInvalid:
			want = "invalid"
		}
		built = append(built, payloadVector{Title: tc.name, Why: tc.why, Payload: hex.EncodeToString(tc.in), Want: want})
	}
	if *update {
		b, err := json.MarshalIndent(built, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(payloadVectorsPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(payloadVectorsPath)
	if err != nil {
		t.Fatalf("%v (run go test -run TestPayloadVectors -update)", err)
	}
	var vs []payloadVector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(built, vs); d != "" {
		t.Errorf("%s is out of date with the payload table (-table +file):\n%s", payloadVectorsPath, d)
	}
	for _, v := range vs {
		t.Run(v.Title, func(t *testing.T) {
			p, err := hex.DecodeString(v.Payload)
			if err != nil {
				t.Fatal(err)
			}
			_, err = UnmarshalPayload(p)
			got := "ok"
			switch {
			case errors.Is(err, ErrMalformed):
				got = "malformed"
			case errors.Is(err, ErrInvalid):
				got = "invalid"
			case err != nil:
				got = "other: " + err.Error()
			}
			if got != v.Want {
				t.Errorf("got %s, want %s (%s): %v", got, v.Want, v.Why, err)
			}
		})
	}
}
