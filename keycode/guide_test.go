package keycode

import (
	"errors"
	"net/netip"
	"testing"
)

// Rule tests named after the guide section they come from (004_5312160dc798173f.txt).

// TestGuide_SV9100_SystemTypeMatchesRange: "CP10 and CP20 are separate system types, chosen by HWKC
// range": a CP10 code is refused as CP20 and the other way round.
func TestGuide_SV9100_SystemTypeMatchesRange(t *testing.T) {
	if _, err := Parse(SV9100CP20, "340209224568"); err == nil {
		t.Error("CP10 code accepted as SV9100 CP20")
	}
	if _, err := Parse(SV9100CP10, "4410011575A6"); err == nil {
		t.Error("CP20 code accepted as SV9100 CP10")
	}
	if got := Detect("441018029547"); len(got) == 0 || got[0] != SV9100CP20 {
		t.Errorf("Detect = %v; want SV9100 CP20 first", got)
	}
}

// TestGuide_SV9500_QRLabelEnteredWithoutDecoration: "You have to enter the HWKC, without preceding A,
// underscores and dashes": both scanned labels give the codes the guide says to enter.
func TestGuide_SV9500_QRLabelEnteredWithoutDecoration(t *testing.T) {
	for qr, want := range map[string]string{
		"A_3565-A9C3-0842-67EF-2E44-A473-6DI2": "3565A9C3084267EF2E44A4736DI2",
		"A_3565-ACE3-4C8C-5745-F647-08D3-63FK": "3565ACE34C8C5745F64708D363FK",
	} {
		c, err := Parse(SV9500, qr)
		if err != nil || c.String() != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", qr, c, err, want)
		}
	}
}

// TestGuide_SRMGC_TempKeyTime: "22-130320025726-607-TEMP-KEY was created 2013-03-20 02:57:26".
func TestGuide_SRMGC_TempKeyTime(t *testing.T) {
	c := MustParse(SRMGC, "22-130320025726-607-TEMP-KEY")
	at, seq, ok := c.TempKey()
	if !ok || at.Format("2006-01-02 15:04:05") != "2013-03-20 02:57:26" || seq != 607 {
		t.Errorf("TempKey() = %v %d %v", at, seq, ok)
	}
}

// TestGuide_IS3000_FCNChangeKeepsCode: "In case the Full Computer Name has to be changed it can be
// updated" and the location keeps aa0016HN242703562600AA: the dongle-less code does not depend on the
// name, only on the issuer's uniqueness input; the name is stored lower-case.
func TestGuide_IS3000_FCNChangeKeepsCode(t *testing.T) {
	d := testDeriver(t)
	before, err := d.IS3000DongleLess("hvpc030pbx.devlnec.local", 7)
	if err != nil {
		t.Fatal(err)
	}
	after, err := d.IS3000DongleLess("hvpc040pbx.devlnec.local", 7)
	if err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Errorf("renaming the computer changed the code: %s -> %s", before, after)
	}
	if name, _ := NormalizeComputerName("HVPC030PBX.DEVNLNEC.LOCAL"); name != "hvpc030pbx.devnlnec.local" {
		t.Errorf("FCN stored as %q; the guide converts capitals to small caps", name)
	}
}

// TestGuide_3C_SameDomainDifferentCodes: "Since the Domain name may not be unique a 3C Hardware Key
// Code is introduced": two sites with domain.local get different codes.
func TestGuide_3C_SameDomainDifferentCodes(t *testing.T) {
	d := testDeriver(t)
	a, errA := d.ThreeC(ThreeC, "domain.local", 1)
	b, errB := d.ThreeC(ThreeC, "domain.local", 2)
	if errA != nil || errB != nil || a == b {
		t.Errorf("two 3C sites on domain.local: %v %v, %v %v", a, errA, b, errB)
	}
}

// TestGuide_DECT_PARI: error INVALID_HARDWARE_KEYCODE, "8 hex digits starting with 1".
func TestGuide_DECT_PARI(t *testing.T) {
	for _, sys := range []System{IPDECT, DECTNS} {
		for _, ok := range []string{"1009FFFE", "1FFFFFF9", "1FF0022F", "1FFFFFF5"} {
			if _, err := Parse(sys, ok); err != nil {
				t.Errorf("%s %s: %v", sys, ok, err)
			}
		}
		for _, bad := range []string{"0009FFFE", "2009FFFE", "1009FFF", "1009FFFEE", "1009FFFG"} {
			var pe *ParseError
			if _, err := Parse(sys, bad); !errors.As(err, &pe) {
				t.Errorf("%s %s accepted", sys, bad)
			}
		}
	}
}

// TestGuide_LMC_IS3000Form: "[remove 'aa' and 'AA' and add 'LMIS' to the iS3000 HWKC]".
func TestGuide_LMC_IS3000Form(t *testing.T) {
	for pbx, want := range map[string]string{
		"aa0014SA2792882418AA":           "LMIS0014SA2792882418",
		"aa0024IC960002104009xxx12345AA": "LMIS0024IC960002104009xxx12345",
		"aa0024IA956215554211xxx12345AA": "LMIS0024IA956215554211xxx12345",
		"aa0016HN242703562600AA":         "LMIS0016HN242703562600",
	} {
		l, err := MustParse(IS3000, pbx).LMC()
		if err != nil || l.String() != want {
			t.Errorf("LMC(%s) = %q, %v; want %q", pbx, l, err, want)
		}
	}
}

// TestGuide_SV9500_StandardServerFromIP: the Standard Server's virtual code comes from the LAN1 IP
// (123.0.0.105 in the guide) and is an SV9500 code; another IP gives another code.
func TestGuide_SV9500_StandardServerFromIP(t *testing.T) {
	d := testDeriver(t)
	a, err := d.SV9500StandardServer(netip.MustParseAddr("123.0.0.105"), 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.SV9500StandardServer(netip.MustParseAddr("123.0.0.106"), 1)
	if err != nil {
		t.Fatal(err)
	}
	mapped, err := d.SV9500StandardServer(netip.MustParseAddr("::ffff:123.0.0.105"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || a != mapped || a.System() != SV9500 || len(a.String()) != 28 {
		t.Errorf("codes %v %v %v", a, b, mapped)
	}
}

// TestGuide_BX_SerialAndProductKey: hardware BX locations take a 7 or 8 digit serial and the
// delivery serial DT2729220 as product key; software ones a 14 or 15 digit machine id.
func TestGuide_BX_SerialAndProductKey(t *testing.T) {
	for in, form := range map[string]Form{
		"9551484": FormBXSerial, "95514841": FormBXSerial,
		"23345678901234": FormBXMachineID, "358744541284567": FormBXMachineID,
		"66E55234A97A": FormOVOCSerial,
	} {
		c, err := Parse(BXOVOC, in)
		if err != nil || c.Form() != form {
			t.Errorf("Parse(BX/OVOC, %s) = %v %v, %v; want %v", in, c, c.Form(), err, form)
		}
	}
	for _, bad := range []string{"955148", "955148412", "2334567890123", "3587445412845678"} {
		if c, err := Parse(BXOVOC, bad); err == nil {
			t.Errorf("Parse(BX/OVOC, %s) = %v; want an error", bad, c)
		}
	}
	if k, err := ParseProductKey("DT2729220"); err != nil || !k.IsHardware() {
		t.Errorf("product key: %v, %v", k, err)
	}
}
