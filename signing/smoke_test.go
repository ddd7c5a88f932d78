package signing

import (
	"encoding/hex"
	"errors"
	"testing"
)

func TestSmoke(t *testing.T) {
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	k, err := NewKeyFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := Sign1(k, []byte("hello"), &Sign1Options{ContentType: "application/cbor"})
	if err != nil {
		t.Fatal(err)
	}
	kr := NewKeyring()
	if err := kr.Add(k.Public().KeyID().Bytes(), k.Public(), Window{}); err != nil {
		t.Fatal(err)
	}
	p, kid, err := kr.Verify1(msg, nil)
	if err != nil || string(p) != "hello" {
		t.Fatalf("%q %x %v", p, kid, err)
	}
	wg, _ := hex.DecodeString("D28445A201270300A10442313154546869732069732074686520636F6E74656E742E58407142FD2FF96D56DB85BEE905A76BA1D0B7321A95C8C4D3607C5781932B7AFB8711497DFA751BF40B58B3BCC32300B1487F3DB34085EEF013BF08F4A44D6FEF0D")
	if err := kr.Add([]byte("11"), k.Public(), Window{}); err != nil {
		t.Fatal(err)
	}
	p, kid, err = kr.Verify1(wg, nil)
	if err != nil || string(p) != "This is the content." {
		t.Fatalf("%q %x %v", p, kid, err)
	}
	msg[len(msg)-1] ^= 1
	if _, _, err := kr.Verify1(msg, nil); !errors.Is(err, ErrSignature) {
		t.Fatal(err)
	}
}
