package keycode

import (
	"bytes"
	"cmp"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"testing"
)

// testSecret is a fixed issuer secret for tests. Real secrets never live in source.
var testSecret = []byte("lmskit test issuer secret, not for production use")

func testDeriver(t testing.TB) *Deriver {
	t.Helper()
	d, err := NewDeriver(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// chacha returns a deterministic random source for tests.
func chacha(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// TestDerive_GuideInputs derives from the inputs the guide shows and checks each result parses under
// its system, has the intended form, verifies, is deterministic, and changes with the secret.
func TestDerive_GuideInputs(t *testing.T) {
	d := testDeriver(t)
	other, err := NewDeriver([]byte("another issuer secret, also for tests"))
	if err != nil {
		t.Fatal(err)
	}
	mac, err := ParseMAC("6CE4DA01378C")
	if err != nil {
		t.Fatal(err)
	}
	type derivation func(d *Deriver) (Code, error)
	cases := []struct {
		name   string
		why    string
		sys    System
		form   Form
		derive derivation
	}{
		{"SV9500 Standard Server", "guide: IP 123.0.0.105 gives the virtual HWKC", SV9500, FormSV9500Virtual,
			func(d *Deriver) (Code, error) { return d.SV9500StandardServer(netip.MustParseAddr("123.0.0.105"), 1) }},
		{"SV9500 SE", "guide: MAC 6CE4DA01378C gives the SE HWKC", SV9500, FormSV9500SE,
			func(d *Deriver) (Code, error) { return d.SV9500SmallEnterprise(mac) }},
		{"iS3000 dongle-less", "guide: FCN hvpc030pbx.devlnec.local gives aa0016HN…AA", IS3000, FormIS3000DongleLess,
			func(d *Deriver) (Code, error) { return d.IS3000DongleLess("hvpc030pbx.devlnec.local", 1) }},
		{"3C", "guide: domain.local gives a 3C code", ThreeC, Form3C,
			func(d *Deriver) (Code, error) { return d.ThreeC(ThreeC, "domain.local", 1) }},
		{"3C CAT2", "3C CAT2 shares the grammar but not the check", ThreeCCAT2, Form3C,
			func(d *Deriver) (Code, error) { return d.ThreeC(ThreeCCAT2, "domain.local", 1) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.derive(d)
			if err != nil {
				t.Fatalf("%s: %v", tc.why, err)
			}
			if c.System() != tc.sys || c.Form() != tc.form {
				t.Errorf("got %s %s, want %s %s", c.System(), c.Form(), tc.sys, tc.form)
			}
			p, err := Parse(tc.sys, c.String())
			if err != nil || p != c {
				t.Errorf("Parse(%q) = %v, %v; want the derived Code", c, p, err)
			}
			if err := c.Verify(); err != nil {
				t.Errorf("Verify: %v", err)
			}
			again, _ := tc.derive(d)
			if again != c {
				t.Errorf("not deterministic: %v then %v", c, again)
			}
			o, err := tc.derive(other)
			if err != nil || o == c {
				t.Errorf("another secret gave %v, %v; want a different code", o, err)
			}
		})
	}
}

// TestDerive_DomainSeparation: the same uniqueness input gives different codes per system, and a
// code derived for one system does not verify as another.
func TestDerive_DomainSeparation(t *testing.T) {
	d := testDeriver(t)
	a, err := d.ThreeC(ThreeC, "domain.local", 7)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.ThreeC(ThreeCCAT2, "domain.local", 7)
	if err != nil {
		t.Fatal(err)
	}
	if a.String() == b.String() {
		t.Fatalf("3C and 3C CAT2 gave the same code %s", a)
	}
	asCAT2 := MustParse(ThreeCCAT2, a.String())
	if err := asCAT2.Verify(); !errors.Is(err, ErrCheck) {
		t.Errorf("3C code verified as 3C CAT2: %v; want ErrCheck", err)
	}
}

// TestDerive_BadInputs: every bad input is refused with an error and no code.
func TestDerive_BadInputs(t *testing.T) {
	d := testDeriver(t)
	cases := []struct {
		name string
		why  string
		f    func() (Code, error)
	}{
		{"short secret", "a secret under MinSecretLen is refused", func() (Code, error) {
			_, err := NewDeriver(make([]byte, MinSecretLen-1))
			return Code{}, err
		}},
		{"zero Deriver", "a Deriver not built by NewDeriver has no keys", func() (Code, error) {
			return (&Deriver{}).ThreeC(ThreeC, "a.b", 1)
		}},
		{"nil Deriver", "a nil Deriver has no keys", func() (Code, error) {
			var nd *Deriver
			return nd.IS3000DongleLess("pc", 1)
		}},
		{"invalid IP", "the zero netip.Addr is no address", func() (Code, error) {
			return d.SV9500StandardServer(netip.Addr{}, 1)
		}},
		{"unspecified IP", "0.0.0.0 is no LAN1 address", func() (Code, error) {
			return d.SV9500StandardServer(netip.MustParseAddr("0.0.0.0"), 1)
		}},
		{"zoned IP", "a zone is local to one host", func() (Code, error) {
			return d.SV9500StandardServer(netip.MustParseAddr("fe80::1%eth0"), 1)
		}},
		{"EUI-64 MAC", "only 48-bit MACs", func() (Code, error) {
			return d.SV9500SmallEnterprise(net.HardwareAddr{1, 2, 3, 4, 5, 6, 7, 8})
		}},
		{"bad FCN", "a space is not part of a computer name", func() (Code, error) {
			return d.IS3000DongleLess("my pc.local", 1)
		}},
		{"seq too large for iS3000", "10 digits of permutation", func() (Code, error) {
			return d.IS3000DongleLess("pc.local", 10_000_000_000)
		}},
		{"seq too large for 3C", "8 hex digits of permutation", func() (Code, error) {
			return d.ThreeC(ThreeC, "domain.local", 1<<32)
		}},
		{"3C for SV8100", "only 3C systems", func() (Code, error) {
			return d.ThreeC(SV8100, "domain.local", 1)
		}},
		{"empty domain", "a domain name is required", func() (Code, error) {
			return d.ThreeC(ThreeC, " ", 1)
		}},
		{"UIP nil source", "no random source", func() (Code, error) { return NewUIP(nil) }},
		{"UIP short source", "the source runs dry", func() (Code, error) { return NewUIP(bytes.NewReader([]byte{1, 2})) }},
		{"UIP reserved source", "a source that only gives PBX prefixes", func() (Code, error) {
			return NewUIP(bytes.NewReader(bytes.Repeat([]byte{0x35}, 12*64)))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.f()
			if err == nil {
				t.Fatalf("no error (%s)", tc.why)
			}
			if !c.IsZero() {
				t.Errorf("got %v beside the error", c)
			}
		})
	}
}

// TestDerive_NoCollisions derives collisionCount codes per derivation from distinct generated inputs
// and requires them all distinct (the count is smaller under the race detector; see count_*.go).
// Codes are compared by payload, packed into integers and sorted, to keep memory and time low.
func TestDerive_NoCollisions(t *testing.T) {
	d := testDeriver(t)
	n := collisionCount
	type key = [2]uint64
	cases := []struct {
		name string
		why  string
		// derive returns the code for generated input i and its payload as a key.
		derive func(i int) (Code, key, error)
	}{
		{"3C", "40-bit code space: distinct uniqueness inputs must never collide", func(i int) (Code, key, error) {
			seq := uint64(i) * 4093 % (1 << 32) // distinct, spread over the range
			c, err := d.ThreeC(ThreeC, "domain.local", seq)
			return c, key{packHex(c.String()[2:10])}, err
		}},
		{"iS3000 dongle-less", "12 decimal digits: distinct uniqueness inputs must never collide", func(i int) (Code, key, error) {
			seq := uint64(i) * 9_999_991 % 10_000_000_000
			c, err := d.IS3000DongleLess("pc.local", seq)
			return c, key{packHex(c.String()[8:18])}, err
		}},
		{"SV9500 Standard Server", "the same address with distinct uniqueness inputs, and distinct addresses", func(i int) (Code, key, error) {
			a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
			seq := uint64(i % 3)
			c, err := d.SV9500StandardServer(a, seq)
			return c, key{packHex(c.String()[3:19]), packHex(c.String()[19:26])}, err
		}},
		{"SV9500 SE", "distinct MAC addresses", func(i int) (Code, key, error) {
			mac := net.HardwareAddr{0x6c, 0xe4, 0xda, byte(i >> 16), byte(i >> 8), byte(i)}
			c, err := d.SV9500SmallEnterprise(mac)
			return c, key{packHex(c.String()[3:19]), packHex(c.String()[19:26])}, err
		}},
		{"UIP", "consecutive draws from one random source", func() func(int) (Code, key, error) {
			src := chacha(2)
			return func(int) (Code, key, error) {
				c, err := NewUIP(src)
				return c, key{packHex(c.String()[2:18]), packHex(c.String()[18:26])}, err
			}
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			keys := make([]key, n)
			for i := range n {
				_, k, err := tc.derive(i)
				if err != nil {
					t.Fatalf("input %d: %v", i, err)
				}
				keys[i] = k
			}
			slices.SortFunc(keys, func(a, b key) int {
				if c := cmp.Compare(a[0], b[0]); c != 0 {
					return c
				}
				return cmp.Compare(a[1], b[1])
			})
			for i := 1; i < n; i++ {
				if keys[i] == keys[i-1] {
					t.Fatalf("two of %d inputs gave the same code (%s)", n, tc.why)
				}
			}
		})
	}
}

// packHex packs up to 16 hex digits into a uint64 without loss. Derived codes are compared by their
// payload: the check characters are a function of it, so equal codes have equal payloads and back.
func packHex(s string) uint64 {
	if len(s) > 16 {
		panic("packHex: more than 16 digits")
	}
	var k uint64
	ck := checker{radix: 16}
	for i := 0; i < len(s); i++ {
		v := ck.value(s[i])
		if v < 0 {
			panic("packHex: not a hex digit: " + s)
		}
		k = k<<4 | uint64(v)
	}
	return k
}
