package lmc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lmskit/lmskit/internal/cborx"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

func pbxHandler(t testing.TB, code keycode.Code, key byte) *PBXHandler {
	return &PBXHandler{Code: func() keycode.Code { return code }, Key: testKey(t, key)}
}

func TestPBXSource(t *testing.T) {
	real := httptest.NewServer(pbxHandler(t, sv8500A, 9))
	defer real.Close()
	src := &PBXSource{URL: real.URL, Key: testKey(t, 9).Public()}
	got, err := src.HostCode(bg)
	if err != nil {
		t.Fatal(err)
	}
	if got != sv8500A {
		t.Fatalf("HostCode = %v, want %v", got, sv8500A)
	}
	// The LMC built on it binds to the LM form.
	l := testLMC(t, t.TempDir(), src, newFakeClock(t0))
	if st, _ := l.Status(bg); st.Code != "LM22CC538207AFD058020640CD57xO" || !st.Reachable {
		t.Fatalf("Status = %+v", st)
	}
}

// TestPBXSourceRefusesFakes: a fake endpoint cannot feed a foreign code, and a PBX that does not
// answer properly is reported unavailable.
func TestPBXSourceRefusesFakes(t *testing.T) {
	pinned := testKey(t, 9).Public()
	// An answer the real PBX gave earlier, to another challenge.
	var recorded []byte
	{
		rec := httptest.NewRecorder()
		pbxHandler(t, sv8500A, 9).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(bytes.Repeat([]byte{1}, 32))))
		recorded = rec.Body.Bytes()
	}
	tests := []struct {
		name    string
		why     string
		handler http.Handler
		want    error
	}{
		{"foreign key", "a fake signs another PBX's code with its own key", pbxHandler(t, sv8500B, 8), ErrUnauthorized},
		{"replay", "a fake replays a genuine answer given to another challenge", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write(recorded)
		}), ErrUnauthorized},
		{"relabelled", "a fake flips one byte of a genuine answer for this challenge", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			pbxHandler(t, sv8500A, 9).ServeHTTP(rec, r)
			b := rec.Body.Bytes()
			b[len(b)-70] ^= 1
			w.Write(b)
		}), ErrUnauthorized},
		{"foreign key, pinned kid", "a fake signs with its own key but names the pinned key's id", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			nonce, _ := io.ReadAll(r.Body)
			w.Write(signPBXAnswer(t, testKey(t, 8), pinned.KeyID().Bytes(), pbxContentType, nonce, sv8500B))
		}), ErrUnauthorized},
		{"other content type", "a message the device key made for another purpose is not a key code", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			nonce, _ := io.ReadAll(r.Body)
			w.Write(signPBXAnswer(t, testKey(t, 9), nil, "application/cbor", nonce, sv8500B))
		}), ErrUnauthorized},
		{"no AAD", "an answer signed without the challenge is refused", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write(signPBXAnswer(t, testKey(t, 9), nil, pbxContentType, nil, sv8500B))
		}), ErrUnauthorized},
		{"plain text", "a fake answers with a bare code", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "22E76E11299790CBCA0724859BI4")
		}), ErrUnauthorized},
		{"huge", "an answer over the cap is not read to the end", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write(make([]byte, maxPBXAnswer+10))
		}), ErrUnauthorized},
		{"server error", "a PBX that fails is unavailable", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}), ErrUnavailable},
		{"no code yet", "a PBX without a code says so", pbxHandler(t, keycode.Code{}, 9), ErrUnavailable},
		{"no LMC form", "a signed code of a system without an LMC form is refused", pbxHandler(t, keycode.MustParse(keycode.SV8100, "190400324412"), 9), keycode.ErrNoLMCForm},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			code, err := (&PBXSource{URL: srv.URL, Key: pinned}).HostCode(bg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("%s: HostCode = %v, %v; want %v", tc.why, code, err, tc.want)
			}
			if !code.IsZero() {
				t.Fatalf("%s: a code came back with the error: %v", tc.why, code)
			}
		})
	}
}

// TestPBXSourceTimeout: a PBX that never answers is cut off by the context, and the LMC keeps serving.
func TestPBXSourceTimeout(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(bg)
	go func() {
		<-arrived
		cancel() // the test decides when the deadline passes
	}()
	_, err := (&PBXSource{URL: srv.URL, Key: testKey(t, 9).Public()}).HostCode(ctx)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("HostCode of a silent PBX: %v, want ErrUnavailable", err)
	}
}

func TestPBXHandlerRefuses(t *testing.T) {
	h := pbxHandler(t, sv8500A, 9)
	for _, tc := range []struct {
		name   string
		method string
		body   []byte
		want   int
	}{
		{"GET", http.MethodGet, nil, http.StatusMethodNotAllowed},
		{"short nonce", http.MethodPost, make([]byte, 31), http.StatusBadRequest},
		{"long nonce", http.MethodPost, make([]byte, 33), http.StatusBadRequest},
		{"empty", http.MethodPost, nil, http.StatusBadRequest},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, "/", bytes.NewReader(tc.body)))
		if rec.Code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, rec.Code, tc.want)
		}
	}
}

// FuzzVerifyPBXAnswer: whatever a hostile endpoint sends, the check never panics and never yields a
// code unless the pinned key signed it over the challenge.
func FuzzVerifyPBXAnswer(f *testing.F) {
	nonce := bytes.Repeat([]byte{5}, 32)
	rec := httptest.NewRecorder()
	pbxHandler(f, sv8500A, 9).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(nonce)))
	f.Add(rec.Body.Bytes())
	f.Add([]byte{})
	f.Add([]byte{0xd2, 0x84, 0x40, 0xa0, 0xf6, 0x40})
	kr := keyringOf(f, testKey(f, 9))
	f.Fuzz(func(t *testing.T, b []byte) {
		code, err := verifyPBXAnswer(kr, nonce, b)
		if err != nil && !code.IsZero() {
			t.Fatal("code returned with an error")
		}
		if err == nil && code != sv8500A {
			t.Fatalf("accepted %v, which the PBX never signed", code)
		}
	})
}

func TestUIPSource(t *testing.T) {
	dir := t.TempDir()
	src := UIPSource(dir, nil)
	c1, err := src.HostCode(bg)
	if err != nil {
		t.Fatal(err)
	}
	if c1.Form() != keycode.FormUIP || len(c1.String()) != 30 || !strings.HasPrefix(c1.String(), "LM") {
		t.Fatalf("UIP code %v (%v)", c1, c1.Form())
	}
	// Kept: a new source on the same directory gives the same code.
	c2, err := UIPSource(dir, strings.NewReader("")).HostCode(bg)
	if err != nil || c2 != c1 {
		t.Fatalf("second source: %v, %v; want %v", c2, err, c1)
	}
	// An LMC on it binds to the UIP code itself.
	l := testLMC(t, t.TempDir(), src, newFakeClock(t0))
	if l.Code() != c1 {
		t.Fatalf("LMC code %v, want the UIP code %v", l.Code(), c1)
	}
	mustInstall(t, l, issue(t, testKey(t, 1), fileSpec{serial: "UIP1", code: c1, lines: []license.Line{count("UIP-CONN", 2)}}))
	if n, _ := l.Count(bg, "UIP-CONN"); n != 2 {
		t.Fatalf("Count = %d", n)
	}

	// A damaged file is an error, never a new code.
	for _, tc := range []struct{ name, content string }{
		{"check digit", c1.String()[:29] + string("0123456789ABCDEF"[(strings.IndexByte("0123456789ABCDEF", c1.String()[29])+1)%16])},
		{"garbage", "hello"},
		{"a PBX's LMC code", "LM22CC538207AFD058020640CD57xO"},
	} {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, UIPFile), []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if c, err := UIPSource(d, nil).HostCode(bg); err == nil {
			t.Errorf("%s: accepted %v", tc.name, c)
		}
	}
}

// TestUIPSourceConcurrent: many callers at once get one code, written once.
func TestUIPSourceConcurrent(t *testing.T) {
	src := UIPSource(t.TempDir(), nil)
	var wg sync.WaitGroup
	codes := make([]keycode.Code, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = src.HostCode(bg)
		}()
	}
	wg.Wait()
	for _, c := range codes {
		if c != codes[0] || c.IsZero() {
			t.Fatalf("codes differ: %v", codes)
		}
	}
}

// signPBXAnswer makes a PBX answer by hand: the payload for code, signed by key under kid (nil: the
// key's own) with the content type and the AAD of nonce (nil nonce: no AAD at all).
func signPBXAnswer(t testing.TB, key *signing.PrivateKey, kid []byte, contentType string, nonce []byte, code keycode.Code) []byte {
	t.Helper()
	payload, err := cborx.EncMode().Marshal(pbxPayload{System: string(code.System()), Code: code.String()})
	if err != nil {
		t.Fatal(err)
	}
	var aad []byte
	if nonce != nil {
		aad = pbxAAD(nonce)
	}
	msg, err := signing.Sign1(key, payload, &signing.Sign1Options{ContentType: contentType, ExternalAAD: aad, KeyID: kid})
	if err != nil {
		t.Fatal(err)
	}
	return msg
}
