// Package systems holds the LMS guide's per-system rules and operations, built on the ledger of
// package entitlement: each system's deviations from the general way of working, in one place per
// system. Give the ledger the rules and a key code deriver, then call the operations with the
// ledger:
//
//	l := entitlement.New(store, entitlement.Config{Rules: systems.GuideRules(), Deriver: deriver, Issuer: issuer})
//	loc, err := l.CreateLocation(ctx, user, entitlement.Location{Customer: cust.ID, Name: "Virtual SV9500",
//		System: "SV9500 Standard Server"}) // a temp key and the LMC child
//	if err != nil {
//		return err
//	}
//	// … attach the Virtualization Option (BE114234) alone, then:
//	file, err := systems.SetLAN1IP(ctx, l, user, loc.ID, netip.MustParseAddr("192.168.10.20"))
//
// The rules ([GuideRules], keyed by the catalog's system names) run inside the ledger's own
// operations (CreateLocation, Attach, Activate, Regenerate) through the hooks of
// [entitlement.Rules]. The operations here (SetLAN1IP, ChangeComputerName, ReplaceHardware,
// ReplaceSecondaryHardware, MigrateSV9100, ImportDECTLicenses, ConfirmPARIDeactivation,
// AttachExternalFile) are functions that take the ledger, run as one [entitlement.Ledger.Update]
// with the actor checked and one audit record, and are made of the ledger's general capabilities
// ([entitlement.Op]: Rekey, Reissue, ActivateLines, CarryOver, ShipActivated, PutExternalFile). A
// refusal changes nothing; every operation keeps conservation.
//
// # The rules, per system
//
// They follow the guide's "LMS License handling instructions per System Type", "External Product
// License and SWA handling", "Migrations" and "License Transfer in case of Hardware Replacement":
//
//   - SV9100: the system type matches the code's range (CP10 34…, CP20 44…).
//   - SR-MGC: a child of an SV8500 location with a temp key (22-yyMMddHHmmss-NNN-TEMP-KEY); SR-MGC
//     parts go on the child only (catalog), and the parent's page lists its children's lines
//     ([entitlement.LocationView].ChildLines); at most one "SV8500 ACD Agent option" license per
//     SV8500 system, counting parent and children. The catalog marks that license with
//     "acd_agent_option" ([entitlement.Part].ACDAgentOption); the guide names no part number for
//     it, so the shipped catalog marks none and a catalog that adds the part must mark it.
//   - LMC: SV8300, SV8500, SV9300 and SV9500 locations get their LMC child (LM + code) with them;
//     other PBXs get one by hand (system LMC; iS3000 in the LMIS form); MA4000, MA4000 EM and CTI
//     parts go on it and nowhere else: the catalog fits the MA4000 parts (390908, 390924, 391950,
//     391955, 391998) to system LMC only. The guide names no CTI part number ("CTI (LMC): similar
//     to MA4000"), so the shipped catalog has no CTI part; a catalog that adds one fits it to LMC.
//     An LMC child bound to its parent's code follows the parent to a new code.
//   - SV9500 Standard Server: created without a code, it gets a temp key; the first attach is the
//     Virtualization Option BE114234 alone and nothing else attaches or activates before
//     [SetLAN1IP] derives the virtual code from the LAN1 IP, binds the IP, activates BE114234 and
//     issues the file (the LMC child follows); a second derivation is for administrators.
//     Appliance: primary and secondary code, QR label form accepted. SE: the code is derived from
//     the MAC (attribute "mac"), only SE parts (catalog), port capacity at most [SEMaxPorts],
//     counted as quantity × the part's "ports" field ([entitlement.Part].Ports). The guide speaks
//     of "a dedicated set of SV9500 SE (V7) licenses" but names none of their part numbers, so the
//     shipped catalog fits no part to SV9500 SE (the generic SV9500 parts are refused there); a
//     catalog with the SE parts lists them for "SV9500 SE" with their ports.
//   - iS3000: dongle, CPU3000 and CIE-2 codes; dongle-less from the Full Computer Name (attribute
//     "computer-name", stored lower case); [ChangeComputerName] keeps the code and re-issues the
//     file; a virtual code is never hardware-replaced. An activation whose file holds neither
//     Lic-073 (EU92067151) nor Lic-078 (960026473134) succeeds with a warning
//     ([entitlement.Issued].Warnings): the system will not run until Lic-078 is attached free of
//     charge (Software Assurance) or Lic-073 is.
//   - 3C and 3C CAT2: the domain name (attribute "domain") is required and gives a unique
//     generated code, also for a repeated domain; a typed-in code is refused.
//   - IP DECT: a file needs at least one DAP license selected or present; the upgrade allowance
//     equals the DAP count and messaging/location counts are at least the DAP count. The DAP
//     count, used by activation and upload alike, is EU917062 (IPDECT 1 AP Cap Lic) plus EU917017
//     (its conversion form, in which the guide's upload example holds an old system's access
//     points), so an uploaded system expands without a new EU917062. The upgrade-allowance and
//     messaging/location rules apply when the part is in the file: the guide's advice ("Check if
//     number of DSWU (upgrade feature) licenses is equal to the number of DAP licenses") is read
//     as a check on a file that holds them, since a new release-6 system has no upgrade allowance
//     to match. DECT - NS: exactly 1 × EU910010. Refusals are [*DECTError] values with the guide's
//     [DECTCode] and its advice. [ImportDECTLicenses] uploads an existing system's licenses
//     ([ParseDECTLicenseFile] documents the format), once and only as the first action (no line,
//     no demo file), as activated lines on an IMPORT_ order. Those licenses are the LMS user's own
//     declaration: the upload has its own audit operation ([OpDECTImport]) and flags the location
//     ([AttrPARIDeactivation] "requested") for the license desk's call of the guide's Note 2 until
//     an administrator records it ([ConfirmPARIDeactivation]).
//   - BX/OVOC: a hardware product needs its serial and product key (attribute "product-key",
//     DT…); a software product gets its key at first activation; a redundant pair (attribute
//     [AttrRedundant]) needs its secondary child before any activation; attach and activate on the
//     primary only; the file is the BX container ([entitlement.ContainerBX]: one .lic per machine
//     and the .log).
//   - BCT: on a dongle (system BCT), on the PBX code (SV8100, SV9100, 3C) or through the LMC
//     (catalog).
//   - External products (RCC, UM4730, Expense Management, MobiCall Master/Supervisor, MobiBox): a
//     purchase order attaches whole or not at all; activation records the lines and returns a
//     pending file; [AttachExternalFile] (administrator) stores the file from outside, which then
//     downloads, and Config.Events receives [entitlement.EventExternalFile]. MobiCall: -M parts go
//     to the Supervisor, others to the Master; MobiBox takes Master parts only.
//   - Hardware replacement ([ReplaceHardware], administrator): every line moves to the new code in
//     one transaction, a new file is issued, the old code is recorded (FormerHWKC) and refused for
//     any new location or file. A virtual code (temp key, derived or generated code, or a child of
//     a location with one) is never replaced; an LMC child bound to its parent's code is never
//     replaced on its own but follows its parent. ReplaceHardware replaces the primary code only;
//     [ReplaceSecondaryHardware] replaces the secondary code of an SV9500 Appliance pair.
//   - Migration SV9100 CP10 → CP20 ([MigrateSV9100]): new code and system; activated lines carried
//     over with new software key codes on a MIGSU_<yyyyMMdd><n> order, keeping their original
//     activation date; the old lines stay as read-only history (StateMigrated, still counted as
//     activated by [entitlement.CheckConservation]) with the original PO/SO, which
//     [entitlement.LocationView.MigratedOrigin] finds for a new line. The target code must be in
//     the CP20 range, checked by the migration itself whatever Config.HostID accepts.
//
// # Audit
//
// Each operation appends one audit record named as listed on the function ("set LAN1 IP",
// "change computer name", "replace hardware", "replace secondary hardware", "migrate",
// [OpDECTImport], [OpPARIDeactivation], "attach external file"), with the location, the old and
// new codes, the software key codes and the files it touched.
package systems
