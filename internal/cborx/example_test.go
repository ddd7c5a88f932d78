package cborx_test

import (
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
	"github.com/lmskit/lmskit/internal/cborx"
)

// record is a CBOR map with small integer keys, as lmskit's formats are.
type record struct {
	Serial string `cbor:"1,keyasint"`
	Qty    int    `cbor:"2,keyasint"`
}

var dec = cborx.MustDecMode(cborx.Limits{MaxMap: 16}) // built once, at package level

// A record written in core deterministic encoding and read back strictly; the same map with a
// key twice, which the library's default options would accept, is refused.
func Example() {
	if err := roundTrip(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// a2 01 66 4c 2d 30 30 30 31 02 14
	// {Serial:L-0001 Qty:20}
	// duplicate key refused: true
}

func roundTrip() error {
	v := record{Serial: "L-0001", Qty: 20}
	b, err := cborx.EncMode().Marshal(v)
	if err != nil {
		return err
	}
	fmt.Printf("% x\n", b) // a map of 2: key 1, a text of 6 bytes; key 2, 20
	var got record
	if err := dec.Unmarshal(b, &got); err != nil { // duplicate keys, unknown fields, … refused
		return err
	}
	fmt.Printf("%+v\n", got)

	twice := append([]byte{0xa3}, b[1:]...)
	twice = append(twice, 0x02, 0x15) // key 2 again
	err = dec.Unmarshal(twice, &got)
	var dup *cbor.DupMapKeyError
	fmt.Println("duplicate key refused:", errors.As(err, &dup))
	return nil
}
