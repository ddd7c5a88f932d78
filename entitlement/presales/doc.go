// Package presales keeps the second vendor's temporary (pre-sales expansion) licenses on the
// ledger of package entitlement ("Pre-sales Expansion License Application"): devices known by
// their ESN, applications with their approval, and the fixed-term license files issued to the
// ESN. Make a [Book] with the policy, add the device, apply:
//
//	book, err := presales.New(l, presales.Policy{ApprovalFree: 1, Products: []presales.Product{ap}})
//	if err != nil {
//		return err
//	}
//	if _, err := book.AddDevice(ctx, user, "2102350DLF10H1000123"); err != nil { // an unknown ESN that passes the ESN rules
//		return err
//	}
//	app, err := book.Apply(ctx, user, req) // the template unchanged, below the approval-free count: issued at once
//	if err != nil {
//		return err
//	}
//	f, err := book.Download(ctx, user, app.Number) // self-service download
//
// Every operation is one [entitlement.Ledger.Update] (or View): one transaction, the ledger's
// actor and role rules, one audit record; the records live in the ledger's store (exported and
// imported with it).
//
// # Devices
//
// A device (an NE) is known by its ESN, a host kind of package keycode (keycode.ESN: 8 to 40
// letters and digits; the document gives no format, so that is lmskit's grammar), which
// [Policy].ESN may narrow. [Book.AddDevice] adds an unknown ESN that passes the rules; a known one
// is selected with [Book.Device], which shows its application count (the NE binding table's "ESN
// Application Times"), kept in the ledger and raised by every application.
//
// # Applications and approval
//
// An application ([Request]) names a known device, a customer of the applicant's partner or "no
// related customer information", a validity of 30, 60, 90, 120 or 180 days and nothing else, and
// the products with their incremental values; a product may carry an enterprise part template. The
// application skips approval only when every product has a template, the template was selected,
// its incremental values are unchanged, the product allows self-service download, and the ESN's
// application count is below the policy's approval-free count. Otherwise it waits for the policy's
// approval steps ([DefaultApproval]: the project contact person or the channel manager, then the
// regional special department director), each approved ([Book.Approve]) or rejected by another
// vendor user holding a role the step names ([Book.SetRoles], granted by an administrator). A
// product without a template always needs approval; so does one whose licenses the vendor
// distributes: without self-service download (a per-product policy switch) only the vendor's staff
// download the license, and only after approval. A historical process number fills in a new
// application ([Book.Prefill]).
//
// # The license
//
// An approved application issues a fixed-term license file through the ledger's issuer: type C
// (pre-sales expansion), Term temporary, NotAfter its issue plus the validity, bound to the ESN
// (host system "ESN"), its lines the products' incremental values. A device checks it like any
// other file (license.File.Check): another ESN does not open it, and it ends at NotAfter. The
// events [EventApprovalNeeded], [EventIssued] and [EventRejected] go on the ledger's event stream.
package presales
