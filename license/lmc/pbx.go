package lmc

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/lmskit/lmskit/internal/cborx"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/signing"
)

// The PBX key code protocol.
//
// The LMC asks the PBX for its key code with an HTTP POST whose body is a fresh 32-byte random
// challenge (the nonce). The PBX answers with a COSE_Sign1 message (RFC 9052, content type
// [pbxContentType]) signed by its device key, with external AAD = "lmskit lmc pbx hwkc v1\x00" ||
// nonce, whose payload is the CBOR map {1: system name, 2: key code}. The LMC verifies the signature
// against the PBX's public device key it was configured with (pinned when the LMC was set up) and the
// AAD against its own nonce, and only then parses the code under the system. A fake endpoint cannot
// feed a foreign code: it cannot sign for the pinned key, and it cannot replay an answer the real
// PBX gave before, because that answer is bound to another nonce. The transport needs no secrecy; the
// key code is not a secret, and the LMC holds nothing secret at all.
const (
	pbxContentType = "application/lmskit-pbx-hwkc+cbor"
	pbxAADPrefix   = "lmskit lmc pbx hwkc v1\x00"
	pbxNonceLen    = 32
	maxPBXAnswer   = 4 << 10
)

type pbxPayload struct {
	System string `cbor:"1,keyasint"`
	Code   string `cbor:"2,keyasint"`
}

var pbxDecMode = cborx.MustDecMode(cborx.Limits{MaxNested: 4, MaxArray: 16, MaxMap: 16})

func pbxAAD(nonce []byte) []byte {
	return append([]byte(pbxAADPrefix), nonce...)
}

// PBXHandler is the PBX side: an [http.Handler] the PBX firmware mounts (at a path of its choosing,
// for example "/lmc/hwkc") that answers the LMC's challenge with the PBX's key code signed by the
// PBX's device key. Give the device key's public half to whoever sets up the LMC ([PBXSource.Key]).
type PBXHandler struct {
	// Code returns the PBX's own key code as the firmware reads it now (CPU board, dongle). Required.
	Code func() keycode.Code
	// Key is the PBX's device key. Required. It never leaves the PBX.
	Key *signing.PrivateKey
}

// ServeHTTP answers a POST whose body is exactly a 32-byte nonce; anything else is refused with 405
// or 400 and no signature is made.
func (h *PBXHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "lmc: POST a 32-byte challenge", http.StatusMethodNotAllowed)
		return
	}
	nonce, err := io.ReadAll(io.LimitReader(r.Body, pbxNonceLen+1))
	if err != nil || len(nonce) != pbxNonceLen {
		http.Error(w, "lmc: the challenge must be exactly 32 bytes", http.StatusBadRequest)
		return
	}
	code := h.Code()
	if code.IsZero() {
		http.Error(w, "lmc: the PBX has no key code", http.StatusServiceUnavailable)
		return
	}
	payload, err := cborx.EncMode().Marshal(pbxPayload{System: string(code.System()), Code: code.String()})
	if err == nil {
		payload, err = signing.Sign1(h.Key, payload, &signing.Sign1Options{ContentType: pbxContentType, ExternalAAD: pbxAAD(nonce)})
	}
	if err != nil {
		http.Error(w, "lmc: signing failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", `application/cose; cose-type="cose-sign1"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(payload)
}

// PBXSource is the LMC side: a [Source] that asks the PBX's [PBXHandler] for its key code and accepts
// the answer only when it is signed by the pinned device key over this request's fresh challenge.
type PBXSource struct {
	// URL is where the PBX mounts its handler ("http://10.0.0.5/lmc/hwkc"). Required.
	URL string
	// Key is the PBX's public device key, pinned when the LMC is set up. Required.
	Key signing.PublicKey
	// Client makes the request; nil means a client with a 5-second timeout. The request also obeys
	// the context given to HostCode.
	Client *http.Client
	// Rand supplies the challenges; nil means crypto/rand.
	Rand io.Reader
}

var defaultPBXClient = &http.Client{Timeout: 5 * time.Second}

// check reports a PBX source that can never answer: no URL, or no pinned key.
func (s *PBXSource) check() error {
	switch {
	case s == nil:
		return fmt.Errorf("%w: nil PBX source", ErrBadSource)
	case !s.Key.IsValid():
		return fmt.Errorf("%w: the PBX source has no pinned device key", ErrBadSource)
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: the PBX source's URL %q is not an http or https URL", ErrBadSource, s.URL)
	}
	return nil
}

// HostCode asks the PBX for its key code. Transport failures, timeouts and non-200 answers match
// [ErrUnavailable]; an answer that fails the challenge-response check (wrong key, another nonce,
// a malformed message or payload) matches [ErrUnauthorized].
func (s *PBXSource) HostCode(ctx context.Context) (keycode.Code, error) {
	if !s.Key.IsValid() {
		return keycode.Code{}, fmt.Errorf("%w: PBX source has no pinned device key", ErrUnauthorized)
	}
	kr := signing.NewKeyring()
	if err := kr.Add(s.Key.KeyID().Bytes(), s.Key, signing.Window{}); err != nil {
		return keycode.Code{}, fmt.Errorf("lmc: pinning the PBX key: %w", err)
	}
	rnd := s.Rand
	if rnd == nil {
		rnd = crand.Reader
	}
	nonce := make([]byte, pbxNonceLen)
	if _, err := io.ReadFull(rnd, nonce); err != nil {
		return keycode.Code{}, fmt.Errorf("lmc: making a challenge: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(nonce))
	if err != nil {
		return keycode.Code{}, fmt.Errorf("lmc: PBX source URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	client := s.Client
	if client == nil {
		client = defaultPBXClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return keycode.Code{}, fmt.Errorf("%w: asking the PBX at %s: %v", ErrUnavailable, s.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return keycode.Code{}, fmt.Errorf("%w: the PBX at %s answered %s", ErrUnavailable, s.URL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPBXAnswer+1))
	if err != nil {
		return keycode.Code{}, fmt.Errorf("%w: reading the PBX's answer: %v", ErrUnavailable, err)
	}
	return verifyPBXAnswer(kr, nonce, body)
}

// verifyPBXAnswer checks a PBX answer against the keyring and the nonce and returns the code in it.
func verifyPBXAnswer(kr *signing.Keyring, nonce, body []byte) (keycode.Code, error) {
	if len(body) > maxPBXAnswer {
		return keycode.Code{}, fmt.Errorf("%w: the PBX's answer is over %d bytes", ErrUnauthorized, maxPBXAnswer)
	}
	v, err := kr.Verify(body, &signing.VerifyOptions{ExternalAAD: pbxAAD(nonce)})
	if err != nil {
		return keycode.Code{}, fmt.Errorf("%w: the PBX's answer fails the challenge-response check: %w", ErrUnauthorized, err)
	}
	// The AAD already separates this answer from anything else the device key signs; the content
	// type is checked too, so a message made for another purpose is never read as a key code.
	if v.ContentType != pbxContentType {
		return keycode.Code{}, fmt.Errorf("%w: the PBX's signed answer has content type %q, want %q", ErrUnauthorized, v.ContentType, pbxContentType)
	}
	var p pbxPayload
	if err := pbxDecMode.Unmarshal(v.Payload, &p); err != nil {
		return keycode.Code{}, fmt.Errorf("%w: the PBX's signed answer does not decode: %v", ErrUnauthorized, err)
	}
	sys, ok := keycode.LookupSystem(p.System)
	if !ok || sys != keycode.System(p.System) {
		return keycode.Code{}, fmt.Errorf("%w: the PBX names an unknown system %q", ErrUnauthorized, p.System)
	}
	code, err := keycode.Parse(sys, p.Code)
	if err != nil {
		return keycode.Code{}, fmt.Errorf("%w: the PBX's code: %w", ErrUnauthorized, err)
	}
	if _, err := lmcCodeOf(code); err != nil {
		return keycode.Code{}, err
	}
	return code, nil
}

// lmcCodeOf returns the LMC code that application files are bound to for a host code: the code
// itself when it already is an LMC code (a UIP code), else its LMC form.
func lmcCodeOf(host keycode.Code) (keycode.Code, error) {
	if host.System() == keycode.LMC {
		return host, nil
	}
	lm, err := host.LMC()
	if err != nil {
		return keycode.Code{}, fmt.Errorf("%w: host code %s %s: %w", ErrBadSource, host.System(), host, err)
	}
	return lm, nil
}

var errNoSourceCode = fmt.Errorf("%w: the source returned no code and no error", ErrBadSource)
