package license

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lmskit/lmskit/internal/cborx"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/signing"
)

// tokenNonce is a fixed nonce for the token tests.
var tokenNonce = [TimeChallengeNonceSize]byte{0x6c, 0x1a, 0x02, 0x03, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

func testChallenge() TimeChallenge { return TimeChallenge{Code: devHostA.Code, Nonce: tokenNonce} }

// TestTimeTokenRoundTrip: a token issued for a challenge opens to what was issued, and signing is
// deterministic.
func TestTimeTokenRoundTrip(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 30, 45, 999, time.UTC)
	opts := TimeTokenOptions{Serial: "TT-2026-0001", MaxSetBack: 90 * day, RearmTrial: true}
	signed, err := IssueTimeToken(devSigner, testChallenge(), now, opts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := IssueTimeToken(devSigner, testChallenge(), now, opts)
	if err != nil || !bytes.Equal(signed, again) {
		t.Errorf("IssueTimeToken is not deterministic (%v)", err)
	}
	tok, err := OpenTimeToken(signed, devKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	want := &TimeToken{Serial: "TT-2026-0001", Code: devHostA.Code, Nonce: tokenNonce, Time: now.Truncate(time.Second), MaxSetBack: 90 * day, RearmTrial: true}
	if diff := cmp.Diff(want, tok, cmp.Comparer(func(a, b keycode.Code) bool { return a == b })); diff != "" {
		t.Errorf("opened token (-want +got):\n%s", diff)
	}
	resigned, err := tok.Sign(devSigner)
	if err != nil || !bytes.Equal(resigned, signed) {
		t.Errorf("signing the opened token again gives other bytes (%v)", err)
	}
	// A token is not a license file, nor a file a token.
	if _, err := Open(signed, devKeyring(t)); !errors.Is(err, ErrMalformed) {
		t.Errorf("Open of a time token = %v, want ErrMalformed", err)
	}
	file := devFile(t, devHostA, "F1", Permanent, devT0, time.Time{})
	if _, err := OpenTimeToken(file, devKeyring(t)); !errors.Is(err, ErrMalformed) {
		t.Errorf("OpenTimeToken of a license file = %v, want ErrMalformed", err)
	}
}

// TestTimeTokenRefused: what Sign and OpenTimeToken refuse, each with the error a caller acts on.
func TestTimeTokenRefused(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	good := func() *TimeToken {
		return &TimeToken{Serial: "TT-1", Code: devHostA.Code, Nonce: tokenNonce, Time: now}
	}
	signTests := []struct {
		name   string
		why    string
		change func(*TimeToken)
	}{
		{"no serial", "the issuer's audit needs the id", func(tt *TimeToken) { tt.Serial = "" }},
		{"bad serial", "serials are as a file's", func(tt *TimeToken) { tt.Serial = "a b" }},
		{"no code", "a token is for one device", func(tt *TimeToken) { tt.Code = keycode.Code{} }},
		{"no nonce", "a token answers one challenge", func(tt *TimeToken) { tt.Nonce = [TimeChallengeNonceSize]byte{} }},
		{"no time", "a token states a time", func(tt *TimeToken) { tt.Time = time.Time{} }},
		{"time not whole", "times are whole seconds", func(tt *TimeToken) { tt.Time = now.Add(time.Millisecond) }},
		{"time before 1970", "times are 1970..9999", func(tt *TimeToken) { tt.Time = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"negative set back", "a set back is an allowance", func(tt *TimeToken) { tt.MaxSetBack = -time.Second }},
		{"set back not whole", "whole seconds", func(tt *TimeToken) { tt.MaxSetBack = 1500 * time.Millisecond }},
	}
	for _, tt := range signTests {
		t.Run("sign/"+tt.name, func(t *testing.T) {
			tok := good()
			tt.change(tok)
			if b, err := tok.Sign(devSigner); !errors.Is(err, ErrInvalid) || b != nil {
				t.Errorf("Sign = %d bytes, %v; want ErrInvalid and nothing (%s)", len(b), err, tt.why)
			}
		})
	}
	if _, err := good().Sign(nil); err == nil {
		t.Error("Sign with a nil key succeeded")
	}

	signed, err := good().Sign(devSigner)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := signing.NewKeyFromSeed(bytes.Repeat([]byte{0x77}, signing.SeedSize))
	expired := signing.NewKeyring()
	if err := expired.Add(devSigner.Public().KeyID().Bytes(), devSigner.Public(), signing.Window{NotAfter: now}); err != nil {
		t.Fatal(err)
	}
	p := good().payload()
	p.MaxSetBack = 0
	canonical, _ := cborx.EncMode().Marshal(&p)
	// The same payload with key 7 present as 0: another encoding of the same token.
	withZero := append([]byte{canonical[0] + 1}, canonical[1:]...)
	withZero = append(withZero, 0x07, 0x00)
	signedZero, _ := signing.Sign1(devSigner, withZero, &signing.Sign1Options{ContentType: TimeTokenContentType})
	badVersion := bytes.Replace(canonical, []byte{0x01, 0x01}, []byte{0x01, 0x02}, 1)
	signedVersion, _ := signing.Sign1(devSigner, badVersion, &signing.Sign1Options{ContentType: TimeTokenContentType})
	openTests := []struct {
		name   string
		why    string
		signed []byte
		kr     *signing.Keyring
		want   error
	}{
		{"unknown key", "only the vendor's keys", signed, testKeyring(t, other), signing.ErrUnknownKey},
		{"key outside its window", "the key's window is checked at the token's time", signed, expired, signing.ErrOutsideWindow},
		{"over the cap", "size is checked before parsing", make([]byte, MaxTimeTokenSize+1), devKeyring(t), ErrMalformed},
		{"default value present", "one token, one encoding", signedZero, devKeyring(t), ErrMalformed},
		{"other version", "a later version is refused, not guessed at", signedVersion, devKeyring(t), ErrInvalid},
	}
	for _, tt := range openTests {
		t.Run("open/"+tt.name, func(t *testing.T) {
			if tok, err := OpenTimeToken(tt.signed, tt.kr); !errors.Is(err, tt.want) || tok != nil {
				t.Errorf("OpenTimeToken = %v, %v; want %v (%s)", tok, err, tt.want, tt.why)
			}
		})
	}
	// Every byte changed: refused, never a token.
	for i := range signed {
		bad := bytes.Clone(signed)
		bad[i] ^= 0x01
		if tok, err := OpenTimeToken(bad, devKeyring(t)); err == nil {
			t.Fatalf("byte %d changed: opened %v", i, tok)
		}
	}
}

// TestTimeChallengeText: the text form round-trips, and what it refuses.
func TestTimeChallengeText(t *testing.T) {
	ch := testChallenge()
	s := ch.String()
	if want := "SV8100:191000343919:6C1A02030405060708090A0B0C0D0E0F"; s != want {
		t.Fatalf("String = %q, want %q", s, want)
	}
	for _, in := range []string{s, s[:len(s)-32] + strings.ToLower(s[len(s)-32:])} {
		got, err := ParseTimeChallenge(in)
		if err != nil || got != ch {
			t.Errorf("ParseTimeChallenge(%q) = %v, %v", in, got, err)
		}
	}
	var u TimeChallenge
	if err := u.UnmarshalText([]byte(s)); err != nil || u != ch {
		t.Errorf("UnmarshalText = %v, %v", u, err)
	}
	if b, _ := ch.MarshalText(); string(b) != s {
		t.Errorf("MarshalText = %q", b)
	}
	if (TimeChallenge{}).String() != "" || !(TimeChallenge{}).IsZero() || ch.IsZero() {
		t.Error("the zero challenge")
	}
	bad := []struct{ name, in, why string }{
		{"empty", "", "nothing"},
		{"no nonce", "SV8100:191000343919", "three parts"},
		{"short nonce", "SV8100:191000343919:6C1A", "16 bytes"},
		{"not hex", "SV8100:191000343919:6C1A02030405060708090A0B0C0D0EXX", "hex digits"},
		{"unknown system", "SV0000:191000343919:6C1A02030405060708090A0B0C0D0E0F", "a system lmskit knows"},
		{"wrong code", "SV8100:291000343919:6C1A02030405060708090A0B0C0D0E0F", "the system's grammar"},
		{"huge", strings.Repeat("A", 300), "capped"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			before := u
			if got, err := ParseTimeChallenge(tt.in); !errors.Is(err, ErrMalformed) || !got.IsZero() {
				t.Errorf("ParseTimeChallenge(%q) = %v, %v; want ErrMalformed (%s)", tt.in, got, err, tt.why)
			}
			if err := u.UnmarshalText([]byte(tt.in)); err == nil || u != before {
				t.Errorf("UnmarshalText(%q) changed the challenge or succeeded", tt.in)
			}
		})
	}
}

// demo30 is a 30-day demo file from simT0, whatever the simulations' scale.
func demo30(t *testing.T) []byte {
	return devFile(t, devHostA, "DEMO-30", Demo, simT0, simT0.Add(30*day), Line{Part: "DEMO-ALL", Kind: Flag, Qty: 1})
}

// tokenFor issues a token at the world's true time for the device's open challenge.
func tokenFor(t *testing.T, w *simWorld, opts TimeTokenOptions) []byte {
	t.Helper()
	ch, err := w.dev.TimeChallenge()
	if err != nil {
		t.Fatal(err)
	}
	if ch.Code != devHostA.Code {
		t.Fatalf("challenge for %v", ch.Code)
	}
	if opts.Serial == "" {
		opts.Serial = "TT-1"
	}
	signed, err := IssueTimeToken(devSigner, ch, w.real, opts)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// TestDeviceTimeToken_UnknownTimeBoot: a PBX that boots with a flat battery (the clock reads
// 2000-01-01) knows no time: its trial waits (TestDeviceUnknownTimeBoot has the permanent files). A
// token confirms the time and the trial runs again, for what is left of it.
func TestDeviceTimeToken_UnknownTimeBoot(t *testing.T) {
	w := newSimWorld(t, simTrial)
	w.run(simTrial.length()/6, time.Minute, nil)
	w.up = false
	w.restart(time.Hour)
	w.setWall(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	w.restart(10 * time.Minute)
	g := w.dev.Grant()
	if g.Hold() != HoldTimeUnknown || g.Mode() != ModeUnlicensed {
		t.Fatalf("booted without a plausible clock: %v (hold %v); want the trial held, time unknown", g, g.Hold())
	}
	if err := w.dev.StartTrial(); err != nil {
		t.Errorf("StartTrial of the running trial while the time is unknown = %v, want nil", err)
	}
	if err := w.dev.Install(devFile(t, devHostA, "DEMO-NOW", Demo, w.real, w.real.Add(30*day))); !errors.Is(err, ErrTimeUnknown) {
		t.Errorf("Install of a demo file while the time is unknown = %v, want ErrTimeUnknown", err)
	}
	w.run(time.Hour, time.Minute, func() { w.setWall(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) })
	signed := tokenFor(t, w, TimeTokenOptions{})
	w.run(10*time.Minute, time.Minute, func() { w.setWall(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) })
	if err := w.dev.ApplyTimeToken(signed); err != nil {
		t.Fatal(err)
	}
	g = w.dev.Grant()
	if g.Hold() != HoldNone || g.Mode() != ModeTrial || g.At().Before(w.real.Add(-10*time.Minute)) || g.At().After(w.real.Add(restartLease(DefaultRollbackTolerance))) {
		t.Errorf("after the token: %v (hold %v) at device time %v, true time %v; want the trial", g, g.Hold(), g.At(), w.real)
	}
	// The clock still reads 2000: ignored; device time runs on the monotonic clock.
	w.run(simTrial.length()/60, time.Minute, func() { w.setWall(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) })
	if g := w.dev.Grant(); g.Hold() != HoldNone || g.Mode() != ModeTrial || g.At().Before(w.real.Add(-20*time.Minute)) {
		t.Errorf("later, with the clock still at 2000: %v (hold %v) at %v", g, g.Hold(), g.At())
	}
	if err := w.dev.ApplyTimeToken(signed); !errors.Is(err, ErrChallenge) {
		t.Errorf("the same token again = %v, want ErrChallenge", err)
	}
}

// TestDeviceTimeToken_PullBack: a forward jump of the clock that held for a day was followed and
// ended the trial and the demo file. A token pulls device time back by at most its allowance.
func TestDeviceTimeToken_PullBack(t *testing.T) {
	for _, tt := range []struct {
		name    string
		setBack time.Duration
		want    Mode
		why     string
	}{
		{"enough allowance", 400 * day, ModeDemo, "device time back to the vendor's time: the demo file runs again"},
		{"no allowance", 0, ModeUnlicensed, "a token without an allowance does not pull device time back"},
		{"too little allowance", 100 * day, ModeUnlicensed, "back by 100 of the 300 days only: still past the demo's end"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newIdleSimWorld(t, simDemo)
			if err := w.dev.Install(demo30(t)); err != nil {
				t.Fatal(err)
			}
			w.run(day, time.Minute, nil)
			jumped := w.wall.Add(300 * day)
			w.setWall(jumped)
			w.run(25*time.Hour, time.Minute, nil)
			if at := w.dev.Grant().At(); at.Before(jumped) {
				t.Fatalf("a jump that held for a day was not followed: device time %v", at)
			}
			if g := w.dev.Grant(); g.Has("DEMO-ALL") {
				t.Fatalf("the demo file still grants 300 days on: %v", g)
			}
			before := w.dev.Grant().At()
			signed := tokenFor(t, w, TimeTokenOptions{MaxSetBack: tt.setBack})
			w.setWall(w.real) // the clock corrected too
			if err := w.dev.ApplyTimeToken(signed); err != nil {
				t.Fatal(err)
			}
			g := w.dev.Grant()
			if g.Mode() != tt.want {
				t.Errorf("%s: mode %v, want %v", tt.why, g.Mode(), tt.want)
			}
			wantAt := max(w.real.Sub(simT0), before.Sub(simT0)-tt.setBack)
			if got := g.At().Sub(simT0); got != wantAt {
				t.Errorf("%s: device time %v after the start, want %v", tt.why, got, wantAt)
			}
		})
	}
}

// TestDeviceTimeToken_UnconfirmedState: the marker deleted, the state may be an older copy: its
// demo file and its trial wait, and a trial never started cannot start. A token lifts the hold;
// only a token that re-arms the trial lets it start.
func TestDeviceTimeToken_UnconfirmedState(t *testing.T) {
	w := newIdleSimWorld(t, simDemo)
	if err := w.dev.Install(demo30(t)); err != nil {
		t.Fatal(err)
	}
	w.run(day, time.Minute, nil)
	state, _ := w.snapshot()
	w.putRecords(state, nil)
	w.restart(10 * time.Minute)
	g := w.dev.Grant()
	if g.Hold() != HoldUnconfirmed || g.Has("DEMO-ALL") {
		t.Fatalf("marker deleted: %v (hold %v)", g, g.Hold())
	}
	if err := w.dev.StartTrial(); !errors.Is(err, ErrTrialUsed) {
		t.Errorf("StartTrial with the marker deleted = %v, want ErrTrialUsed", err)
	}
	// Still so after a restart: the state keeps the hold.
	w.restart(10 * time.Minute)
	if g := w.dev.Grant(); g.Hold() != HoldUnconfirmed {
		t.Fatalf("after a restart: hold %v", g.Hold())
	}
	if err := w.dev.ApplyTimeToken(tokenFor(t, w, TimeTokenOptions{})); err != nil {
		t.Fatal(err)
	}
	if g := w.dev.Grant(); g.Hold() != HoldNone || !g.Has("DEMO-ALL") {
		t.Errorf("after the token: %v (hold %v); want the demo file", g, g.Hold())
	}
	if err := w.dev.StartTrial(); !errors.Is(err, ErrTrialUsed) {
		t.Errorf("StartTrial after a token that does not re-arm = %v, want ErrTrialUsed", err)
	}
	if err := w.dev.ApplyTimeToken(tokenFor(t, w, TimeTokenOptions{Serial: "TT-2", RearmTrial: true})); err != nil {
		t.Fatal(err)
	}
	if err := w.dev.StartTrial(); err != nil {
		t.Errorf("StartTrial after a re-arming token = %v", err)
	}
	if end := w.dev.Grant().TrialEnd(); !end.Equal(w.dev.Grant().At().Add(simTrial.length())) {
		t.Errorf("the re-armed trial ends %v, want its full length from now", end)
	}
	w.restart(10 * time.Minute)
	if g := w.dev.Grant(); g.Hold() != HoldNone || !g.Has("DEMO-ALL") || g.TrialEnd().IsZero() {
		t.Errorf("after a restart: %v (hold %v)", g, g.Hold())
	}
}

// TestDeviceTimeToken_Refused: tokens a device refuses, changing nothing.
func TestDeviceTimeToken_Refused(t *testing.T) {
	w := newSimWorld(t, simTrial)
	ch, err := w.dev.TimeChallenge()
	if err != nil {
		t.Fatal(err)
	}
	if again, err := w.dev.TimeChallenge(); err != nil || again != ch {
		t.Errorf("a second TimeChallenge while one is open = %v, %v; want the same", again, err)
	}
	otherHost := TimeChallenge{Code: devHostB.Code, Nonce: ch.Nonce}
	otherNonce := ch
	otherNonce.Nonce[0] ^= 1
	issue := func(c TimeChallenge) []byte {
		b, err := IssueTimeToken(devSigner, c, w.real, TimeTokenOptions{Serial: "TT-X", RearmTrial: true})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	other, _ := signing.NewKeyFromSeed(bytes.Repeat([]byte{0x77}, signing.SeedSize))
	foreign, _ := IssueTimeToken(other, ch, w.real, TimeTokenOptions{Serial: "TT-F"})
	tests := []struct {
		name   string
		signed []byte
		want   error
	}{
		{"another device", issue(otherHost), ErrHostMismatch},
		{"another challenge", issue(otherNonce), ErrChallenge},
		{"not the vendor's key", foreign, signing.ErrUnknownKey},
		{"not a token", []byte("hello"), signing.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, state, marker := w.dev.Grant(), bytes.Clone(w.st.state), bytes.Clone(w.st.marker)
			if err := w.dev.ApplyTimeToken(tt.signed); !errors.Is(err, tt.want) {
				t.Errorf("ApplyTimeToken = %v, want %v", err, tt.want)
			}
			if w.dev.Grant() != before || !bytes.Equal(w.st.state, state) || !bytes.Equal(w.st.marker, marker) {
				t.Error("a refused token changed the device")
			}
		})
	}
	// The challenge survives a restart; a day and a bit later it has expired.
	w.restart(time.Minute)
	if again, err := w.dev.TimeChallenge(); err != nil || again != ch {
		t.Errorf("after a restart TimeChallenge = %v, %v; want the open one", again, err)
	}
	good := issue(ch)
	w.run(TimeChallengeLifetime+time.Hour, time.Minute, nil)
	if err := w.dev.ApplyTimeToken(good); !errors.Is(err, ErrChallenge) {
		t.Errorf("a token for an expired challenge = %v, want ErrChallenge", err)
	}
	if fresh, err := w.dev.TimeChallenge(); err != nil || fresh == ch {
		t.Errorf("after expiry TimeChallenge = %v, %v; want a new one", fresh, err)
	}
	// A random source that gives zeros makes no challenge.
	zeros := w.config()
	zeros.State, zeros.Rand = &memState{}, bytes.NewReader(make([]byte, 64))
	if d, err := OpenDevice(zeros); err != nil {
		t.Fatal(err)
	} else if _, err := d.TimeChallenge(); err == nil {
		t.Error("TimeChallenge with a nonce of zeros succeeded")
	}
	// A save that fails changes nothing and leaves the challenge open.
	good = tokenFor(t, w, TimeTokenOptions{Serial: "TT-S", RearmTrial: true})
	before := w.dev.Grant()
	w.st.failState = errFault
	if err := w.dev.ApplyTimeToken(good); !errors.Is(err, errFault) {
		t.Errorf("ApplyTimeToken with the state failing = %v, want the fault", err)
	}
	if g := w.dev.Grant(); g != before {
		t.Errorf("a token that could not be saved changed the grant: %v", g)
	}
	w.st.failState = nil
	if err := w.dev.ApplyTimeToken(good); err != nil {
		t.Errorf("the same token once the state saves again = %v", err)
	}
}

// tokenSeeds are payloads for the token fuzz targets: valid ones and near misses.
func tokenSeeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, tok := range []TimeToken{
		{Serial: "TT-1", Code: devHostA.Code, Nonce: tokenNonce, Time: devT0},
		{Serial: "TT-2:a.b_c", Code: keycode.MustParse(keycode.SV9500, "35G00N360103F0S0007490B6E0yQ"), Nonce: tokenNonce, Time: devT0, MaxSetBack: 400 * day, RearmTrial: true},
	} {
		p := tok.payload()
		b, err := cborx.EncMode().Marshal(&p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b, b[:len(b)/2], append(bytes.Clone(b), 0))
	}
	return append(out, []byte{0xa0}, []byte{0xa1, 0x01, 0x01})
}

// FuzzDecodeTimeToken: the token payload decoder never panics; what it accepts is valid and
// re-encodes to exactly its input, and an error comes with no token.
func FuzzDecodeTimeToken(f *testing.F) {
	for _, s := range tokenSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := decodeTimeToken(b)
		if err != nil {
			if tok != nil {
				t.Fatal("a token came back with an error")
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v matches neither ErrMalformed nor ErrInvalid", err)
			}
			return
		}
		if err := tok.check(); err != nil {
			t.Fatalf("accepted an invalid token: %v", err)
		}
		p := tok.payload()
		again, err := cborx.EncMode().Marshal(&p)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs: %v", err)
		}
		_ = tok.String()
	})
}

// FuzzOpenTimeToken: OpenTimeToken never panics on any input; signed tokens from the seeds open
// and sign again to the same bytes.
func FuzzOpenTimeToken(f *testing.F) {
	for _, s := range tokenSeeds(f) {
		if msg, err := signing.Sign1(devSigner, s, &signing.Sign1Options{ContentType: TimeTokenContentType}); err == nil {
			f.Add(msg)
		}
	}
	kr := devKeyring(f)
	f.Fuzz(func(t *testing.T, signed []byte) {
		tok, err := OpenTimeToken(signed, kr)
		if err != nil {
			if tok != nil {
				t.Fatal("a token came back with an error")
			}
			return
		}
		again, err := tok.Sign(devSigner)
		if err != nil || !bytes.Equal(again, signed) {
			t.Fatalf("signing the opened token again differs: %v", err)
		}
	})
}

// FuzzParseTimeChallenge: ParseTimeChallenge never panics; what it accepts prints back to its
// input (the nonce in upper case) and parses again to itself; an error is ErrMalformed with a zero
// challenge.
func FuzzParseTimeChallenge(f *testing.F) {
	for _, s := range []string{testChallenge().String(), strings.ToLower(testChallenge().String()), "SV8100:191000343919:",
		"LMC:LM16717688D912171C3E3E603E1836:00000000000000000000000000000000", "BX/OVOC:9551484:" + strings.Repeat("f", 32), ":::", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseTimeChallenge(s)
		if err != nil {
			if !c.IsZero() || !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseTimeChallenge(%q) = %v, %v", s, c, err)
			}
			return
		}
		i := strings.LastIndexByte(s, ':')
		if c.String() != s[:i+1]+strings.ToUpper(s[i+1:]) {
			t.Fatalf("ParseTimeChallenge(%q).String() = %q", s, c.String())
		}
		if again, err := ParseTimeChallenge(c.String()); err != nil || again != c {
			t.Fatalf("round trip of %q: %v, %v", c, again, err)
		}
	})
}
