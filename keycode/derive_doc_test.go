package keycode

import (
	"bytes"
	"crypto/aes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// TestDerive_DocumentedAlgorithm re-derives codes from the package documentation alone, with the
// standard library's primitives and none of the package's helpers (no checker, no permute, no
// macPool), and requires the Deriver and NewUIP to give the same codes. It pins doc.go's "exact
// algorithm" to the code: a change to either without the other fails here.
func TestDerive_DocumentedAlgorithm(t *testing.T) {
	d := testDeriver(t)
	K := func(label string) []byte {
		m := hmac.New(sha256.New, testSecret)
		m.Write([]byte("lmskit/keycode/v1/" + label))
		return m.Sum(nil)
	}
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	// check appends the k check characters of payload for the scheme (tag, N, p, k), as doc.go says:
	// r0 from SHA-256 of the tag, r = (r*N + digit) mod p over the payload, times N^k, c = (1-r) mod p.
	check := func(tag string, n, p, k int, payload string) string {
		sum := sha256.Sum256([]byte("lmskit/keycode/v1/check/" + tag))
		r := new(big.Int).SetUint64(binary.BigEndian.Uint64(sum[:8]))
		P, N := big.NewInt(int64(p)), big.NewInt(int64(n))
		r.Mod(r, P)
		for _, ch := range []byte(payload) {
			r.Mul(r, N).Add(r, big.NewInt(int64(strings.IndexByte(digits, ch)))).Mod(r, P)
		}
		r.Mul(r, new(big.Int).Exp(N, big.NewInt(int64(k)), nil)).Mod(r, P)
		c := new(big.Int).Sub(big.NewInt(1), r)
		c.Mod(c, P)
		v := int(c.Int64())
		out := make([]byte, k)
		for i := k - 1; i >= 0; i-- {
			out[i] = digits[v%n]
			v /= n
		}
		return string(out)
	}
	hexUpper := func(b []byte, n int) string { return strings.ToUpper(fmt.Sprintf("%x", b))[:n] }
	// feistel is P: 10 rounds on x = L*m + R with F(i, R) = AES-128 under the first 16 bytes of the
	// label's key, of i || 0^7 || R, first 8 bytes big-endian, mod m.
	feistel := func(label string, m, x uint64) uint64 {
		blk, err := aes.NewCipher(K(label)[:16])
		if err != nil {
			t.Fatal(err)
		}
		l, r := x/m, x%m
		for i := 0; i < 10; i++ {
			var in, out [16]byte
			in[0] = byte(i)
			binary.BigEndian.PutUint64(in[8:], r)
			blk.Encrypt(out[:], in[:])
			l, r = r, (l+binary.BigEndian.Uint64(out[:8])%m)%m
		}
		return l*m + r
	}

	type derivation struct {
		name string
		got  func() (Code, error)
		want func() string
	}
	var cases []derivation
	for i := uint64(0); i < 50; i++ {
		seq := i*7_919_999 + i*i
		addr := netip.AddrFrom4([4]byte{123, 0, byte(i), byte(105 + i)})
		if i%2 == 1 {
			addr = netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i))
		}
		mac := net.HardwareAddr{0x6c, 0xe4, 0xda, byte(i), 0x37, byte(0x8c + i)}
		cases = append(cases,
			derivation{fmt.Sprintf("SV9500 Standard Server %s/%d", addr, seq),
				func() (Code, error) { return d.SV9500StandardServer(addr, seq) },
				func() string {
					var msg []byte
					if addr.Is4() {
						a := addr.As4()
						msg = append([]byte{4}, a[:]...)
					} else {
						a := addr.As16()
						msg = append([]byte{6}, a[:]...)
					}
					msg = binary.BigEndian.AppendUint64(msg, seq)
					m := hmac.New(sha256.New, K("SV9500 Standard Server"))
					m.Write(msg)
					body := "V" + hexUpper(m.Sum(nil), 23)
					return "35" + body + check("SV9500 Standard Server", 62, 3833, 2, body)
				}},
			derivation{fmt.Sprintf("SV9500 SE %s", mac),
				func() (Code, error) { return d.SV9500SmallEnterprise(mac) },
				func() string {
					m := hmac.New(sha256.New, K("SV9500 Small Enterprise"))
					m.Write(mac)
					body := "M" + hexUpper(m.Sum(nil), 23)
					return "35" + body + check("SV9500 Small Enterprise", 62, 3833, 2, body)
				}},
			derivation{fmt.Sprintf("iS3000 dongle-less %d", seq),
				func() (Code, error) { return d.IS3000DongleLess("hvpc030pbx.devlnec.local", seq) },
				func() string {
					body := fmt.Sprintf("%010d", feistel("iS3000 dongle-less permutation", 100_000, seq))
					return "aa0016HN" + body + check("iS3000 dongle-less", 10, 97, 2, body) + "AA"
				}},
			derivation{fmt.Sprintf("3C %d", seq%(1<<32)),
				func() (Code, error) { return d.ThreeC(ThreeC, "domain.local", seq%(1<<32)) },
				func() string {
					body := fmt.Sprintf("%08X", feistel("3C permutation", 1<<16, seq%(1<<32)))
					return "3C" + body + check("3C", 16, 251, 2, body)
				}},
			derivation{fmt.Sprintf("3C CAT2 %d", seq%(1<<32)),
				func() (Code, error) { return d.ThreeC(ThreeCCAT2, "domain.local", seq%(1<<32)) },
				func() string {
					body := fmt.Sprintf("%08X", feistel("3C permutation", 1<<16, seq%(1<<32)))
					return "3C" + body + check("3C CAT2", 16, 251, 2, body)
				}},
		)
		// Every other source starts "22", the LMC prefix of an SV8500 code: its first draw is discarded.
		src := append(bytes.Repeat([]byte{byte(0x22 * (i % 2)), byte(i), 0xab}, 4), bytes.Repeat([]byte{0x4c, byte(i)}, 6)...)
		cases = append(cases, derivation{fmt.Sprintf("UIP %x", src[:12]),
			func() (Code, error) { return NewUIP(bytes.NewReader(src)) },
			func() string {
				draw := src[:12]
				if h := fmt.Sprintf("%X", draw[:1]); h == "01" || h == "22" || h == "35" || h == "36" {
					draw = src[12:24]
				}
				body := fmt.Sprintf("%X", draw)
				return "LM" + body + check("UIP", 16, 65521, 4, body)
			}})
	}
	for _, tc := range cases {
		c, err := tc.got()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if want := tc.want(); c.String() != want {
			t.Errorf("%s: Deriver gave %s, the documented algorithm %s", tc.name, c, want)
		}
	}
}
