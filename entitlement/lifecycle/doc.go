// Package lifecycle is the second vendor's entitlement lifecycle on the ledger of package
// entitlement (its "Entitlement basics"): the delivery status of each entitlement as two explicit
// state machines, annual-fee terms, third-party licenses, and the renewal and expiry notices of
// fixed-term entitlements. Every operation is one [entitlement.Ledger.Update]: one transaction,
// the ledger's actor and role rules, one audit record. Ship an annual fee, pool and activate it,
// revoke it:
//
//	fee := lifecycle.AnnualFee{Model: lifecycle.ModelSUS, Scenario: lifecycle.ScenarioFirstSigned, Rule: lifecycle.StartEarlierOfActivationOrPO, Months: 12}
//	dates := lifecycle.OrderDates{POSigned: time.Date(2012, 12, 28, 0, 0, 0, 0, time.UTC)}
//	lines, err := lifecycle.ShipAnnualFee(ctx, l, admin, order, fee, dates) // type S, ending with the fee term
//	if err != nil {
//		return err
//	}
//	pooled, err := lifecycle.Pool(ctx, l, user, loc.ID, picks) // Ready → Pooled
//	if err != nil {
//		return err
//	}
//	file, err := lifecycle.Activate(ctx, l, user, loc.ID, entitlement.Activation{AcceptAgreement: true}) // Pooled → Activated
//	if err != nil {
//		return err
//	}
//	newFile, err := lifecycle.Revoke(ctx, l, admin, loc.ID, []string{sub}, "returned by the customer") // Activated → Inactive
//
// # Entitlement types
//
// Every shipped order line carries an entitlement type (license.EntitlementType: T Commerce, the
// default, is commercial and permanent; B D L M N P S X Y are commercial and fixed-term; A C F V are
// non-commercial and fixed-term), kept by the ledger itself: a fixed-term type needs its end
// (OrderLine.NotAfter) and T has none. A license file has one term, so the ledger issues a
// location's fixed-term lines in a file of their own per type and end date beside its permanent
// file, each carrying the type code and its end so that a device ends it on time; the download
// holds every current file (entitlement.Ledger.Download). A permanent type never expires.
// [Details] shows a line's type and category.
//
// # Delivery statuses
//
// The document lists the statuses and their meanings only; the moves between them are lmskit's
// reading of those meanings, in this table ([Transitions] returns it). Anything else is refused
// with a [*MoveError] (matching entitlement.ErrState) that names the status and the moves allowed
// from it, and changes nothing:
//
//	machine          from                      move                 to                        role          operation
//	self-developed   (none)                    ship                 Ready                     administrator entitlement.Ledger.Ship, ShipAnnualFee
//	self-developed   Ready                     pool                 Pooled                    partner       Pool
//	self-developed   Ready                     cancel               Order Cancelled           administrator CancelReady
//	self-developed   Pooled                    unpool               Ready                     partner       Unpool
//	self-developed   Pooled                    activate             Activated                 partner       Activate
//	self-developed   Pooled                    cancel               Order Cancelled           administrator Cancel
//	self-developed   Activated                 revoke               Inactive                  administrator Revoke
//	third-party      (none)                    register             Activation                administrator RegisterThirdParty
//	third-party      Activation                start purchase       In Purchase (3rd)         administrator StartPurchase
//	third-party      In Purchase (3rd)         purchased            Ready (3rd)               administrator Purchase
//	third-party      In Purchase (3rd)         deliver on medium    Medium Delivery N (3rd)   administrator DeliverOnMedium, no backup
//	third-party      In Purchase (3rd)         deliver on medium    Medium Delivery E (3rd)   administrator DeliverOnMedium, with backup
//	third-party      Ready (3rd)               download             Closed (3rd)              partner       DownloadThirdParty
//	third-party      Medium Delivery E (3rd)   download             Closed (3rd)              partner       DownloadThirdParty
//	third-party      Closed (3rd)              re-apply (lost file)  In Purchase (3rd)        partner       ReapplyLost
//
// "Partner" is the partner's own LMS user; "administrator" the vendor's license desk. Inactive,
// Order Cancelled and Medium Delivery N (3rd) are final. The readings: Ready is a quantity in the
// partner's bin (the certificate can be seen and downloaded); Pooled is attached to a location
// (pushed to the pool, reversible); Activated is in the location's file; Inactive is revoked or
// returned after activation; Order Cancelled is an order cancelled before activation, from the
// bin or from a location. A third-party entitlement is registered when its requirement is being
// activated, bought, then either downloadable or delivered on a medium (with or without an
// electronic copy); a download closes it, and a lost file is applied for again, which buys it
// again.
//
// Self-developed entitlements are the ledger's own lines ([StatusOf] reads a location line's
// status): a shipped line's quantities in each status always add up to what was shipped,
// revoked and cancelled quantities included (entitlement.CheckConservation). Revoking re-issues the
// location's files without the revoked lines in the same transaction; the files that held them
// are superseded (license file format version 2), so a device that installs the new file stops
// granting them, and [EventRevoked] tells the partner. Third-party entitlements are this
// package's own records ([ThirdPartyEntitlement], with their history); the ledger neither issues
// nor counts them.
//
// # Annual fees
//
// [FeeTerm] is the one function that computes an annual fee's start and end, from the business
// model (01 Perpetual, 02 SnS, 03 ASRF, 07 TBL Perpetual: permanent; 04 TBL, 05 SUS, 09 TBL feature
// level: fixed-term), the quotation scenario (01 first signed, 02 expansion, 03 re-signed) and the
// start rule (01 the earlier of license activation and PO signed + 90 days; 02 PO signed; 03 POD;
// 04 PAC; 05 the default for expansion or re-signed; 06 positive date) and the dates the order
// knows ([OrderDates]). The document does not define POD, PAC, the positive date or rule 05's
// date: the caller supplies them as its own contract defines them. [ShipAnnualFee] ships an
// annual-fee order: type S ending at the term's end for a fixed-term model, T for a permanent one;
// [Details] shows the basis and the term, computed again once the lines are activated.
//
// # Renewal and expiry
//
// [Sweep] is the explicit call a scheduler makes (daily, say, as an administrator; time is the
// ledger's clock, nothing runs by itself): each activated fixed-term entitlement raises
// [EventRenewalDue] once when its end comes within the notice time (30 days unless configured)
// and [EventExpired] once at its end, on the ledger's event stream (entitlement.Config.Events).
package lifecycle
