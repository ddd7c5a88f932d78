package keycode

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
)

// MinSecretLen is the shortest issuer secret NewDeriver accepts. Use 32 random bytes.
const MinSecretLen = 16

// Deriver derives the virtual key codes that an issuer (the license server) creates: SV9500 Standard
// Server and Small Enterprise codes, iS3000 dongle-less codes and 3C codes. Every derivation is keyed
// by the issuer secret, so nobody without it can tell which code a given input yields; the exact
// algorithms are in the package documentation. A Deriver is immutable and safe for concurrent use.
type Deriver struct {
	ssm, se   macPool      // HMAC-SHA-256 under the keys of the SV9500 derivations
	is3000    cipher.Block // round function of the iS3000 permutation
	threeC    cipher.Block // round function of the 3C permutation
	keyLoaded bool
}

// macPool hands out HMAC-SHA-256 states under one key; Reset restores the keyed state without
// hashing the key again, so a derivation costs two SHA-256 blocks.
type macPool struct{ p sync.Pool }

func (mp *macPool) init(key [32]byte) {
	mp.p.New = func() any { return hmac.New(sha256.New, key[:]) }
}

// sum23 appends the first 23 hex digits (92 bits) of HMAC-SHA-256(key, msg), upper case, to b.
func (mp *macPool) sum23(b, msg []byte) []byte {
	m := mp.p.Get().(hash.Hash)
	m.Reset()
	m.Write(msg)
	var sum [32]byte
	m.Sum(sum[:0])
	mp.p.Put(m)
	const hexUpper = "0123456789ABCDEF"
	for i := 0; i < 23; i++ {
		v := sum[i/2]
		if i%2 == 0 {
			v >>= 4
		}
		b = append(b, hexUpper[v&0xf])
	}
	return b
}

// NewDeriver returns a Deriver keyed by secret, which must hold at least MinSecretLen bytes. The
// secret is not kept; only keys derived from it are. Errors never contain the secret.
func NewDeriver(secret []byte) (*Deriver, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("keycode: issuer secret of %d bytes: want at least %d", len(secret), MinSecretLen)
	}
	d := &Deriver{keyLoaded: true}
	d.ssm.init(subkey(secret, "SV9500 Standard Server"))
	d.se.init(subkey(secret, "SV9500 Small Enterprise"))
	is := subkey(secret, "iS3000 dongle-less permutation")
	tc := subkey(secret, "3C permutation")
	var err error
	if d.is3000, err = aes.NewCipher(is[:16]); err != nil {
		return nil, fmt.Errorf("keycode: %w", err)
	}
	if d.threeC, err = aes.NewCipher(tc[:16]); err != nil {
		return nil, fmt.Errorf("keycode: %w", err)
	}
	return d, nil
}

// subkey is HMAC-SHA-256(secret, "lmskit/keycode/v1/" + label).
func subkey(secret []byte, label string) [32]byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("lmskit/keycode/v1/" + label))
	var k [32]byte
	m.Sum(k[:0])
	return k
}

func (d *Deriver) ready() error {
	if d == nil || !d.keyLoaded {
		return errors.New("keycode: Deriver not made by NewDeriver")
	}
	return nil
}

// SV9500StandardServer derives the virtual code of an SV9500 Standard Server from its LAN1 (ACT) IP
// address and a uniqueness input seq, a number the issuer never uses twice for this derivation (a
// ledger sequence), so that two servers behind the same private address get different codes. The
// result is "35V" + 23 hex digits + 2 check characters, a valid SV9500 code of form
// FormSV9500Virtual. IPv4-mapped IPv6 addresses count as IPv4; zoned addresses are refused.
func (d *Deriver) SV9500StandardServer(lan1 netip.Addr, seq uint64) (Code, error) {
	if err := d.ready(); err != nil {
		return Code{}, err
	}
	if !lan1.IsValid() || lan1.Zone() != "" || lan1.IsUnspecified() {
		return Code{}, fmt.Errorf("keycode: SV9500 Standard Server LAN1 address %q: want an IPv4 or IPv6 address without zone", lan1.String())
	}
	lan1 = lan1.Unmap()
	msg := make([]byte, 0, 1+16+8)
	if lan1.Is4() {
		a := lan1.As4()
		msg = append(append(msg, 4), a[:]...)
	} else {
		a := lan1.As16()
		msg = append(append(msg, 6), a[:]...)
	}
	msg = binary.BigEndian.AppendUint64(msg, seq)
	b := make([]byte, 0, 28)
	b = append(b, "35V"...)
	b = d.ssm.sum23(b, msg)
	b = checkSV9500V.appendCheck(b, 2)
	return derived(SV9500, string(b), FormSV9500Virtual)
}

// SV9500SmallEnterprise derives the code of an SV9500 Small Enterprise server from its MAC address
// (48 bits; see ParseMAC for the guide's "6CE4DA01378C" form). The MAC is unique to the hardware, so
// no uniqueness input is needed. The result is "35M" + 23 hex digits + 2 check characters, a valid
// SV9500 code of form FormSV9500SE.
func (d *Deriver) SV9500SmallEnterprise(mac net.HardwareAddr) (Code, error) {
	if err := d.ready(); err != nil {
		return Code{}, err
	}
	if len(mac) != 6 {
		return Code{}, fmt.Errorf("keycode: SV9500 Small Enterprise MAC of %d bytes: want 6", len(mac))
	}
	b := make([]byte, 0, 28)
	b = append(b, "35M"...)
	b = d.se.sum23(b, mac)
	b = checkSV9500M.appendCheck(b, 2)
	return derived(SV9500, string(b), FormSV9500SE)
}

// IS3000DongleLess derives the virtual code of an iS3000 / SIP@Net Server without dongle. fcn is the
// Full Computer Name, validated like NormalizeComputerName; seq is a number the issuer never uses
// twice for this derivation and must be below 10^10. The code is a keyed permutation of seq alone:
// the guide lets the Full Computer Name change later while the code stays, so the name is bound beside
// the code (store NormalizeComputerName(fcn) with it), not inside it. Distinct seq values therefore
// always give distinct codes. The result is "aa0016HN" + 10 digits + 2 check digits + "AA".
func (d *Deriver) IS3000DongleLess(fcn string, seq uint64) (Code, error) {
	if err := d.ready(); err != nil {
		return Code{}, err
	}
	if err := validateName(IS3000, "Full Computer Name", fcn); err != nil {
		return Code{}, err
	}
	const m = 100000 // halves of the permutation over [0, 10^10)
	if seq >= m*m {
		return Code{}, fmt.Errorf("keycode: iS3000 dongle-less uniqueness input %d: want below 10^10", seq)
	}
	y := permute(d.is3000, m, seq)
	b := make([]byte, 0, 22)
	b = append(b, "aa0016HN"...)
	for div := uint64(1_000_000_000); div > 0; div /= 10 {
		b = append(b, byte('0'+y/div%10))
	}
	b = checkIS3000.appendCheck(b, 8)
	b = append(b, "AA"...)
	return derived(IS3000, string(b), FormIS3000DongleLess)
}

// ThreeC derives the code of a 3C or 3C CAT2 system (sys ThreeC or ThreeCCAT2). domain is the
// domain name entered for the location, validated like NormalizeDomainName; seq is a number the
// issuer never uses twice for 3C codes (3C and 3C CAT2 share the code space) and must be below 2^32.
// The guide's point is that two sites may share a domain name yet need different codes, so the code
// is a keyed permutation of seq alone: distinct seq values always give distinct codes, and the domain
// name is bound beside the code (as LMS shows "3CE9A629C0A6 domain.local"). The result is "3C" + 8 hex
// digits + 2 check characters that differ between 3C and 3C CAT2.
func (d *Deriver) ThreeC(sys System, domain string, seq uint64) (Code, error) {
	if err := d.ready(); err != nil {
		return Code{}, err
	}
	ck := check3C
	switch sys {
	case ThreeC:
	case ThreeCCAT2:
		ck = check3CCAT2
	default:
		return Code{}, fmt.Errorf("keycode: 3C derivation for %q: want %q or %q", truncate(string(sys)), ThreeC, ThreeCCAT2)
	}
	if err := validateName(ThreeC, "domain name", domain); err != nil {
		return Code{}, err
	}
	const m = 1 << 16
	if seq >= m*m {
		return Code{}, fmt.Errorf("keycode: 3C uniqueness input %d: want below 2^32", seq)
	}
	y := permute(d.threeC, m, seq)
	b := make([]byte, 0, 12)
	b = append(b, "3C"...)
	for sh := 28; sh >= 0; sh -= 4 {
		b = append(b, digits62[y>>sh&0xf])
	}
	b = ck.appendCheck(b, 2)
	return derived(sys, string(b), Form3C)
}

// permute is a 10-round Feistel permutation of [0, m*m): x = L*m + R, each round
// (L, R) = (R, (L + F_i(R)) mod m) with F_i(R) the first 8 bytes of AES(k, i || 0^7 || R), read big
// endian, mod m. Each round is a bijection, so the whole is one.
func permute(k cipher.Block, m, x uint64) uint64 {
	l, r := x/m, x%m
	buf := make([]byte, 32) // one allocation: the blocks escape through the cipher.Block interface
	in, out := buf[:16], buf[16:]
	for i := range 10 {
		in[0] = byte(i)
		binary.BigEndian.PutUint64(in[8:], r)
		k.Encrypt(out, in)
		f := binary.BigEndian.Uint64(out[:8]) % m
		l, r = r, (l+f)%m
	}
	return l*m + r
}

// derived wraps a code built by a derivation; it must parse to the intended form.
func derived(sys System, s string, f Form) (Code, error) {
	c, ok := parseFast(sys.index(), s)
	if !ok || c.form != f || c.s != s {
		return Code{}, fmt.Errorf("keycode: internal error: derived %s code %q does not parse as %s", sys, s, f)
	}
	return c, nil
}

// uipReserved are the first two characters of the 28-character PBX codes that the LMC grammar reads
// before UIP codes; a UIP code never starts with them.
var uipReserved = [...]string{"01", "22", "35", "36"}

// NewUIP generates the key code of a Univerge Integration Platform, which the License Manager
// Client creates once and keeps: "LM" + 24 random hex digits + 4 check digits (28 hex), with bytes
// from r (crypto/rand.Reader in production; a fixed reader gives a fixed code). Draws whose first two
// digits are those of a PBX code ("01", "22", "35", "36") are drawn again, so a UIP code is never read
// as the LMC form of a PBX.
func NewUIP(r io.Reader) (Code, error) {
	if r == nil {
		return Code{}, errors.New("keycode: nil random source")
	}
	var b [12]byte
	var h [24]byte
	for range 64 {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Code{}, fmt.Errorf("keycode: reading random source: %w", err)
		}
		hex.Encode(h[:], b[:])
		reserved := false
		for _, p := range uipReserved {
			reserved = reserved || string(h[:2]) == p
		}
		if reserved {
			continue
		}
		out := make([]byte, 0, 30)
		out = append(out, "LM"...)
		for _, c := range h {
			out = append(out, upper(c))
		}
		out = checkUIP.appendCheck(out, 2)
		return derived(LMC, string(out), FormUIP)
	}
	return Code{}, errors.New("keycode: random source gives only reserved UIP prefixes")
}

// ParseMAC reads a 48-bit MAC address: 12 hex digits as the guide writes them ("6CE4DA01378C"), or
// any EUI-48 form net.ParseMAC accepts ("6c:e4:da:01:37:8c", "6C-E4-DA-01-37-8C",
// "6ce4.da01.378c"). A rejection is a *ParseError for system SV9500.
func ParseMAC(s string) (net.HardwareAddr, error) {
	if len(s) > MaxInput {
		return nil, &ParseError{Input: strings.Clone(s[:MaxInput]), System: SV9500, Offset: MaxInput, Want: fmt.Sprintf("at most %d characters", MaxInput), what: "MAC address"}
	}
	s = strings.TrimSpace(s)
	if len(s) == 12 {
		mac := make(net.HardwareAddr, 6)
		for i := 0; i < 12; i++ {
			if classOf[s[i]]&cHex == 0 {
				e := &ParseError{Input: s, System: SV9500, Offset: i, Want: "hex digit", what: "MAC address"}
				for _, p := range confusions(s[i]) {
					if classOf[p]&cHex != 0 {
						e.Suggest = rune(upper(p))
						break
					}
				}
				return nil, e
			}
		}
		if _, err := hex.Decode(mac, []byte(s)); err != nil {
			return nil, &ParseError{Input: s, System: SV9500, Want: "12 hex digits", what: "MAC address"}
		}
		return mac, nil
	}
	mac, err := net.ParseMAC(s)
	if err != nil || len(mac) != 6 {
		return nil, &ParseError{Input: s, System: SV9500, Want: `12 hex digits, or a 48-bit MAC such as "6c:e4:da:01:37:8c"`, what: "MAC address"}
	}
	return mac, nil
}

// NormalizeComputerName validates an iS3000 Full Computer Name and returns it in lower case, the form
// LMS stores ("HVPC030PBX.DEVNLNEC.LOCAL" becomes "hvpc030pbx.devnlnec.local"): dot-separated
// labels of 1 to 63 letters, digits, '-' or '_', not starting or ending with '-', at most 253
// characters, one trailing dot dropped. A rejection is a *ParseError for system IS3000.
func NormalizeComputerName(s string) (string, error) {
	return normalizeName(IS3000, "Full Computer Name", s)
}

// NormalizeDomainName validates the domain name of a 3C location and returns it in lower case, with
// the rules of NormalizeComputerName. A rejection is a *ParseError for system ThreeC.
func NormalizeDomainName(s string) (string, error) {
	return normalizeName(ThreeC, "domain name", s)
}

const maxName = 253

func normalizeName(sys System, what, s string) (string, error) {
	if err := validateName(sys, what, s); err != nil {
		return "", err
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), ".")), nil
}

// validateName checks a computer or domain name without allocating.
func validateName(sys System, what, s string) error {
	if len(s) > maxName+8 {
		return &ParseError{Input: strings.Clone(s[:maxName]), System: sys, Offset: maxName, Want: "at most " + strconv.Itoa(maxName) + " characters", what: what}
	}
	s = strings.TrimSpace(s)
	fail := func(off int, want string) error {
		return &ParseError{Input: s, System: sys, Offset: off, Want: want, what: what}
	}
	t := strings.TrimSuffix(s, ".")
	if t == "" {
		return fail(0, "a "+what)
	}
	if len(t) > maxName {
		return fail(maxName, "at most "+strconv.Itoa(maxName)+" characters")
	}
	start := 0
	for i := 0; i <= len(t); i++ {
		if i == len(t) || t[i] == '.' {
			n := i - start
			switch {
			case n == 0:
				return fail(i, "a label (letter, digit, '-' or '_')")
			case n > 63:
				return fail(start+63, "'.' (labels have at most 63 characters)")
			case t[start] == '-':
				return fail(start, "letter, digit or '_' (a label does not start with '-')")
			case t[i-1] == '-':
				return fail(i-1, "letter, digit or '_' (a label does not end with '-')")
			}
			start = i + 1
			continue
		}
		c := t[i]
		if classOf[c]&cAlnum == 0 && c != '-' && c != '_' {
			return fail(i, "letter, digit, '-', '_' or '.'")
		}
	}
	return nil
}
