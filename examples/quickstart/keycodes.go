package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lmskit/lmskit/keycode"
)

// guideCodes are key codes as the LMS guide shows them (its table "Products supported and Hardware
// Key Code formats", the SV9500 QR label, the LMC forms and the external products).
var guideCodes = []struct {
	sys   keycode.System
	input string
}{
	{keycode.SL1000, "280001451316"},
	{keycode.SV8100, "190400324412"},
	{keycode.SV9100CP20, "4410011575A6"},
	{keycode.SV8300, "18CYG-IPS-00000000BJZ02319QK"},
	{keycode.SV8500, "22CC538207AFD058020640CD57xO"},
	{keycode.SRMGC, "22-121126064636-613-TEMP-KEY"},
	{keycode.SV9500, "A_3565-A9C3-0842-67EF-2E44-A473-6DI2"},
	{keycode.IS3000, "aa0024IC960002104009xxx12345AA"},
	{keycode.ThreeC, "3CB6CE81EECE"},
	{keycode.IPDECT, "1009FFFE"},
	{keycode.LMC, "LM01PZPC3500000000H2TRP62357gM"},
	{keycode.LMC, "LM16717688D912171C3E3E603E1836"},
	{keycode.BXOVOC, "358744541284567"},
	{keycode.UM4730, "11-10465697"},
}

// demoSecret keys the derivations in this example only. A license server keeps 32 random bytes
// out of source.
var demoSecret = []byte("lmskit quickstart demo secret - never use in production")

// runKeyCodes parses the guide's key codes, shows a refused one, makes a temp key, derives the
// virtual codes the server creates, and reads a software key code. Its output is deterministic.
func runKeyCodes(w io.Writer) error {
	fmt.Fprintln(w, "== hardware key codes from the LMS guide")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, g := range guideCodes {
		c, err := keycode.Parse(g.sys, g.input)
		if err != nil {
			return err
		}
		extra := ""
		if l, err := c.LMC(); err == nil {
			extra = "LMC " + l.String()
		} else if p, err := c.PBX(); err == nil {
			extra = "PBX " + p.System().String()
		}
		if c.String() != strings.TrimSpace(g.input) {
			extra = strings.TrimSpace("from " + g.input + "  " + extra)
		}
		if extra == "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", c.System(), c, c.Form())
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.System(), c, c.Form(), extra)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "== a damaged copy from the guide")
	_, err := keycode.Parse(keycode.IS3000, "aa00145A2792883507AA")
	var pe *keycode.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("damaged code accepted: %v", err)
	}
	fmt.Fprintln(w, err)

	fmt.Fprintln(w, "== ambiguous without a system")
	fmt.Fprintf(w, "%s could be %v\n", "280001451316", keycode.Detect("280001451316"))

	fmt.Fprintln(w, "== temp key for an SR-MGC child location")
	tk, err := keycode.TempKey(keycode.SRMGC, time.Date(2013, 3, 20, 2, 57, 26, 0, time.UTC), 607)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, tk)

	fmt.Fprintln(w, "== codes the server derives (demo secret)")
	d, err := keycode.NewDeriver(demoSecret)
	if err != nil {
		return err
	}
	mac, err := keycode.ParseMAC("6CE4DA01378C")
	if err != nil {
		return err
	}
	fcn, err := keycode.NormalizeComputerName("HVPC030PBX.DEVNLNEC.LOCAL")
	if err != nil {
		return err
	}
	derivations := []struct {
		what string
		make func() (keycode.Code, error)
	}{
		{"SV9500 Standard Server, LAN1 123.0.0.105", func() (keycode.Code, error) {
			return d.SV9500StandardServer(netip.MustParseAddr("123.0.0.105"), 1)
		}},
		{"SV9500 SE, MAC 6CE4DA01378C", func() (keycode.Code, error) { return d.SV9500SmallEnterprise(mac) }},
		{"iS3000 dongle-less, FCN " + fcn, func() (keycode.Code, error) { return d.IS3000DongleLess(fcn, 1) }},
		{"3C, domain.local", func() (keycode.Code, error) { return d.ThreeC(keycode.ThreeC, "domain.local", 1) }},
		{"3C, domain.local again (next sequence)", func() (keycode.Code, error) {
			return d.ThreeC(keycode.ThreeC, "domain.local", 2)
		}},
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, dv := range derivations {
		c, err := dv.make()
		if err != nil {
			return err
		}
		check := "check ok"
		if err := c.Verify(); err != nil {
			check = err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", dv.what, c, check)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "== software key code of a license line")
	k, err := keycode.ParseSoftwareKeyCode("AA19MXCH1TN7A43ML65B")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: system code %s\n", k, k.SystemCode())
	return nil
}
