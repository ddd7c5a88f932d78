package httpapi

import (
	"strconv"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
	"github.com/lmskit/lmskit/license"
)

// The types of the second vendor's entitlement lifecycle (package entitlement/lifecycle, its
// "Entitlement basics") that cross the wire, under the conventions of types.go. Delivery
// statuses, moves and machines are snake_case names of the basics' table ("Order Cancelled" is
// order_cancelled, "Ready (3rd)" ready_3rd); business models, scenarios and start rules are the
// basics' two-digit codes; entitlement types their one-letter codes.

// AnnualFee is an annual-fee basis: the business model, the quotation scenario and the start rule.
type AnnualFee struct {
	Model    string `json:"model" enum:"01,02,03,04,05,07,09" doc:"business model: 01 Perpetual, 02 SnS, 03 ASRF, 07 TBL (Perpetual) are permanent (type T); 04 TBL, 05 SUS, 09 TBL (feature level) fixed-term (type S, ending with the fee term)"`
	Scenario string `json:"scenario" enum:"01,02,03" doc:"quotation scenario: 01 first signed, 02 expansion, 03 re-signed"`
	Rule     string `json:"rule" enum:"01,02,03,04,05,06" doc:"start rule: 01 the earlier of the license activation and PO signed + 90 days; 02 PO signed; 03 POD; 04 PAC; 05 the default for expansion or re-signed; 06 the positive date"`
	Months   int    `json:"months,omitempty" doc:"the fee term in months, 1 to 120; absent for an expansion that co-terms with dates.expanded_end"`
}

// OrderDates are the dates an order knows, from which the fee term is computed; each start rule
// needs its own (01 po_signed, 02 po_signed, 03 pod, 04 pac, 05 default, 06 positive). Dates are
// taken at their UTC day.
type OrderDates struct {
	POSigned    *time.Time `json:"po_signed,omitempty"`
	Activated   *time.Time `json:"activated,omitempty" doc:"the license activation, when known (rule 01)"`
	POD         *time.Time `json:"pod,omitempty"`
	PAC         *time.Time `json:"pac,omitempty"`
	Default     *time.Time `json:"default,omitempty" doc:"rule 05's start, as the contract defines it"`
	Positive    *time.Time `json:"positive,omitempty" doc:"rule 06's start, as the contract defines it"`
	ExpandedEnd *time.Time `json:"expanded_end,omitempty" doc:"an expansion (scenario 02) co-terms with the entitlement it expands: its end"`
}

// AnnualFeeOrderRequest ships an annual-fee order (administrator): every line gets the business
// model's entitlement type.
type AnnualFeeOrderRequest struct {
	OrderRequest
	Fee   AnnualFee  `json:"fee"`
	Dates OrderDates `json:"dates"`
}

// FeeTermRequest asks for the term an annual fee would have.
type FeeTermRequest struct {
	Fee   AnnualFee  `json:"fee"`
	Dates OrderDates `json:"dates"`
}

// FeeTerm is an annual fee's computed term.
type FeeTerm struct {
	Start       time.Time `json:"start" doc:"the first day (00:00 UTC)"`
	End         time.Time `json:"end" doc:"the day the fee ends (exclusive)"`
	Provisional bool      `json:"provisional" doc:"rule 01 before the activation: an activation before start moves the term earlier"`
	Permanent   bool      `json:"permanent" doc:"a permanent business model: the fee term runs, the license never ends"`
}

// AnnualFeeDetails is an annual-fee entitlement's basis and term.
type AnnualFeeDetails struct {
	AnnualFee
	ModelName string     `json:"model_name"`
	Dates     OrderDates `json:"dates"`
	Term      FeeTerm    `json:"term"`
}

// EntitlementLine is a location line taken from an entitlement, with its delivery status.
type EntitlementLine struct {
	Line
	DeliveryStatus string `json:"delivery_status" enum:"pooled,activated,inactive,order_cancelled"`
}

// Entitlement is a shipped order line's details: its type and category, how much of it is in
// each delivery status of the self-developed machine, its location lines, and its annual fee.
type Entitlement struct {
	Line       ShippedLine       `json:"line"`
	Type       string            `json:"type" enum:"T,B,D,L,M,N,P,S,X,Y,A,C,F,V"`
	TypeName   string            `json:"type_name" doc:"the type's name (Commerce, Software subscription annual fee…)"`
	Commercial bool              `json:"commercial"`
	FixedTerm  bool              `json:"fixed_term"`
	Ready      int64             `json:"ready" doc:"in the partner's bin"`
	Pooled     int64             `json:"pooled" doc:"attached to a location, not activated"`
	Activated  int64             `json:"activated"`
	Inactive   int64             `json:"inactive" doc:"revoked (returned) after activation"`
	Cancelled  int64             `json:"cancelled" doc:"order cancelled before activation"`
	Lines      []EntitlementLine `json:"lines"`
	Fee        *AnnualFeeDetails `json:"fee,omitempty" doc:"absent for an entitlement shipped without an annual fee"`
}

// Transition is one row of a delivery status machine: from a status, a move leads to a status,
// made by an operation of this API that a role may call.
type Transition struct {
	Machine    string   `json:"machine" enum:"self_developed,third_party"`
	From       string   `json:"from,omitempty" enum:"ready,pooled,activated,inactive,order_cancelled,activation,ready_3rd,medium_delivery_n_3rd,medium_delivery_e_3rd,in_purchase_3rd,closed_3rd" doc:"absent: the entitlement does not exist yet"`
	Move       string   `json:"move" enum:"ship,pool,unpool,activate,revoke,cancel,register,start_purchase,purchased,deliver_on_medium,download,reapply_lost"`
	To         string   `json:"to" enum:"ready,pooled,activated,inactive,order_cancelled,activation,ready_3rd,medium_delivery_n_3rd,medium_delivery_e_3rd,in_purchase_3rd,closed_3rd"`
	Role       string   `json:"role" enum:"partner,administrator" doc:"partner: the partner's own LMS user; administrator: the vendor's license desk"`
	Operations []string `json:"operations" doc:"the operationIds that make the move"`
}

// RevokeRequest revokes activated lines of a location (administrator).
type RevokeRequest struct {
	SKCs   []string `json:"skcs"`
	Reason string   `json:"reason" doc:"why (returned by the customer…), kept in the audit record; required"`
}

// CancelLinesRequest cancels pooled lines of a location (administrator).
type CancelLinesRequest struct {
	SKCs   []string `json:"skcs"`
	Reason string   `json:"reason" doc:"required"`
}

// CancelReadyRequest cancels a quantity of a shipped line's Ready quantity (administrator).
type CancelReadyRequest struct {
	Quantity int64  `json:"quantity"`
	Reason   string `json:"reason" doc:"required"`
}

// LifecycleSweepRequest configures a sweep; every field may be left out.
type LifecycleSweepRequest struct {
	RenewalNoticeDays int `json:"renewal_notice_days,omitempty" doc:"how many days before its end an activated fixed-term entitlement raises its renewal notice; absent means 30"`
}

// LifecycleSweepResult counts the events a sweep raised.
type LifecycleSweepResult struct {
	Renewals int `json:"renewals"`
	Expiries int `json:"expiries"`
}

// ThirdPartyRequest registers a third-party entitlement for a partner (administrator).
type ThirdPartyRequest struct {
	Partner  string     `json:"partner" doc:"the distributor or dealer it is for"`
	Location string     `json:"location,omitempty" doc:"the partner's location it is for"`
	PO       string     `json:"po"`
	SO       string     `json:"so"`
	Product  string     `json:"product" doc:"the third-party product, as the vendor names it"`
	Part     string     `json:"part" doc:"the vendor's part number of it"`
	Quantity int64      `json:"quantity"`
	Type     string     `json:"type,omitempty" enum:"T,B,D,L,M,N,P,S,X,Y,A,C,F,V" doc:"absent means T"`
	NotAfter *time.Time `json:"not_after,omitempty" doc:"the end of a fixed-term type"`
}

// ThirdPartyChange is one move of a third-party entitlement's delivery.
type ThirdPartyChange struct {
	Time time.Time `json:"time"`
	By   string    `json:"by"`
	Move string    `json:"move" enum:"register,start_purchase,purchased,deliver_on_medium,download,reapply_lost"`
	From string    `json:"from,omitempty" enum:"activation,ready_3rd,medium_delivery_n_3rd,medium_delivery_e_3rd,in_purchase_3rd,closed_3rd"`
	To   string    `json:"to" enum:"activation,ready_3rd,medium_delivery_n_3rd,medium_delivery_e_3rd,in_purchase_3rd,closed_3rd"`
	Note string    `json:"note,omitempty"`
}

// ThirdPartyFile describes a third-party license file without its bytes.
type ThirdPartyFile struct {
	Name string `json:"name"`
	Size int    `json:"size"`
}

// ThirdPartyEntitlement is a license the vendor buys from a third party for an order, and its
// delivery.
type ThirdPartyEntitlement struct {
	ID             string             `json:"id" doc:"3P-<n>"`
	Partner        string             `json:"partner"`
	Location       string             `json:"location,omitempty"`
	PO             string             `json:"po"`
	SO             string             `json:"so"`
	Product        string             `json:"product"`
	Part           string             `json:"part"`
	Quantity       int64              `json:"quantity"`
	Type           string             `json:"type" enum:"T,B,D,L,M,N,P,S,X,Y,A,C,F,V"`
	NotAfter       *time.Time         `json:"not_after,omitempty"`
	DeliveryStatus string             `json:"delivery_status" enum:"activation,ready_3rd,medium_delivery_n_3rd,medium_delivery_e_3rd,in_purchase_3rd,closed_3rd"`
	File           *ThirdPartyFile    `json:"file,omitempty" doc:"the license file (ready_3rd) or the medium's electronic backup (medium_delivery_e_3rd)"`
	Download       string             `json:"download,omitempty" doc:"path to POST to download the file (the partner's own user): it closes the entitlement"`
	Reapplied      int                `json:"reapplied" doc:"lost files applied for again"`
	CreatedAt      time.Time          `json:"created_at"`
	History        []ThirdPartyChange `json:"history"`
}

// ReasonRequest carries the reason of an action.
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// Enum names. Each table lists every value of its package's type; a test checks that none is
// missing, so that a value added there cannot reach the wire without a name.

var deliveryStatusNames = map[lifecycle.Status]string{
	lifecycle.Ready: "ready", lifecycle.Pooled: "pooled", lifecycle.Activated: "activated", lifecycle.Inactive: "inactive",
	lifecycle.OrderCancelled: "order_cancelled", lifecycle.Activation: "activation", lifecycle.Ready3rd: "ready_3rd",
	lifecycle.MediumDeliveryN: "medium_delivery_n_3rd", lifecycle.MediumDeliveryE: "medium_delivery_e_3rd",
	lifecycle.InPurchase: "in_purchase_3rd", lifecycle.Closed: "closed_3rd",
}

var moveNames = map[lifecycle.Move]string{
	lifecycle.MoveShip: "ship", lifecycle.MovePool: "pool", lifecycle.MoveUnpool: "unpool", lifecycle.MoveActivate: "activate",
	lifecycle.MoveRevoke: "revoke", lifecycle.MoveCancel: "cancel", lifecycle.MoveRegister: "register",
	lifecycle.MoveStartPurchase: "start_purchase", lifecycle.MovePurchased: "purchased", lifecycle.MoveDeliverMedium: "deliver_on_medium",
	lifecycle.MoveDownload: "download", lifecycle.MoveReapplyLost: "reapply_lost",
}

var machineNames = map[lifecycle.Machine]string{lifecycle.SelfDeveloped: "self_developed", lifecycle.ThirdParty: "third_party"}

// moveOperations names the operations of this API that make a move (by the status it leaves
// where a move has two).
func moveOperations(mv lifecycle.Move, from lifecycle.Status) []string {
	if mv == lifecycle.MoveShip {
		return []string{"shipOrder", "shipAnnualFeeOrder"}
	}
	return []string{moveOperation(mv, from)}
}

func moveOperation(mv lifecycle.Move, from lifecycle.Status) string {
	switch mv {
	case lifecycle.MovePool:
		return "poolLines"
	case lifecycle.MoveUnpool:
		return "unpoolLines"
	case lifecycle.MoveActivate:
		return "activatePooledLines"
	case lifecycle.MoveRevoke:
		return "revokeLines"
	case lifecycle.MoveCancel:
		if from == lifecycle.Ready {
			return "cancelReady"
		}
		return "cancelPooledLines"
	case lifecycle.MoveRegister:
		return "registerThirdParty"
	case lifecycle.MoveStartPurchase:
		return "startThirdPartyPurchase"
	case lifecycle.MovePurchased:
		return "purchaseThirdParty"
	case lifecycle.MoveDeliverMedium:
		return "deliverThirdPartyOnMedium"
	case lifecycle.MoveDownload:
		return "downloadThirdParty"
	case lifecycle.MoveReapplyLost:
		return "reapplyThirdParty"
	}
	return ""
}

func statusName(s lifecycle.Status) string {
	if n, ok := deliveryStatusNames[s]; ok {
		return n
	}
	return "" // the zero status: none yet
}

func typeCode(t license.EntitlementType) string {
	if t == "" {
		return string(license.TypeCommerce)
	}
	return string(t)
}

// Conversions.

func toFeeTerm(t lifecycle.Term) FeeTerm {
	return FeeTerm{Start: t.Start.UTC(), End: t.End.UTC(), Provisional: t.Provisional, Permanent: t.Permanent}
}

func toOrderDates(d lifecycle.OrderDates) OrderDates {
	return OrderDates{POSigned: timePtr(d.POSigned), Activated: timePtr(d.Activated), POD: timePtr(d.POD), PAC: timePtr(d.PAC),
		Default: timePtr(d.Default), Positive: timePtr(d.Positive), ExpandedEnd: timePtr(d.ExpandedEnd)}
}

func (d OrderDates) lifecycle() lifecycle.OrderDates {
	at := func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return t.UTC()
	}
	return lifecycle.OrderDates{POSigned: at(d.POSigned), Activated: at(d.Activated), POD: at(d.POD), PAC: at(d.PAC),
		Default: at(d.Default), Positive: at(d.Positive), ExpandedEnd: at(d.ExpandedEnd)}
}

func (f AnnualFee) lifecycle() lifecycle.AnnualFee {
	return lifecycle.AnnualFee{Model: lifecycle.BusinessModel(f.Model), Scenario: lifecycle.Scenario(f.Scenario), Rule: lifecycle.StartRule(f.Rule),
		Months: f.Months}
}

func toEntitlement(e lifecycle.Entitlement) Entitlement {
	out := Entitlement{Line: toShipped(e.Line), Type: typeCode(e.Type), TypeName: e.TypeName, Commercial: e.Commercial, FixedTerm: e.FixedTerm,
		Ready: e.Ready, Pooled: e.Pooled, Activated: e.Activated, Inactive: e.Inactive, Cancelled: e.Cancelled,
		Lines: mapSlice(e.Lines, func(ls lifecycle.LineStatus) EntitlementLine {
			return EntitlementLine{Line: toLine(ls.Line), DeliveryStatus: statusName(ls.Status)}
		})}
	if e.Fee != nil {
		out.Fee = &AnnualFeeDetails{AnnualFee: AnnualFee{Model: string(e.Fee.Model), Scenario: string(e.Fee.Scenario), Rule: string(e.Fee.Rule),
			Months: e.Fee.Months}, ModelName: e.Fee.Model.Name(), Dates: toOrderDates(e.Fee.Dates), Term: toFeeTerm(e.Fee.Term)}
	}
	return out
}

func toTransition(t lifecycle.Transition) Transition {
	role := "partner"
	if t.Role == "administrator" {
		role = "administrator"
	}
	return Transition{Machine: machineNames[t.Machine], From: statusName(t.From), Move: moveNames[t.Move], To: statusName(t.To), Role: role,
		Operations: moveOperations(t.Move, t.From)}
}

func toThirdParty(e lifecycle.ThirdPartyEntitlement) ThirdPartyEntitlement {
	out := ThirdPartyEntitlement{ID: e.ID, Partner: e.Partner, Location: e.Location, PO: e.PO, SO: e.SO, Product: e.Product, Part: e.Part,
		Quantity: e.Qty, Type: typeCode(e.Type), NotAfter: timePtr(e.NotAfter), DeliveryStatus: statusName(e.Status), Reapplied: e.Reapplied,
		CreatedAt: e.Created.UTC(), History: mapSlice(e.History, func(c lifecycle.Change) ThirdPartyChange {
			return ThirdPartyChange{Time: c.Time.UTC(), By: c.By, Move: moveNames[c.Move], From: statusName(c.From), To: statusName(c.To), Note: c.Note}
		})}
	if e.File != nil {
		out.File = &ThirdPartyFile{Name: e.File.Name, Size: len(e.File.Data)}
		if e.Status == lifecycle.Ready3rd || e.Status == lifecycle.MediumDeliveryE {
			out.Download = "/v1/third-party-entitlements/" + e.ID + "/download"
		}
	}
	return out
}

// numbered is the sort key of a numbered id ("3P-12", "TL-3", "DR-7"): its number, so that ids
// page in the order they were made; an id without one sorts by its text after them.
func numbered(id string) string {
	if _, n, ok := strings.Cut(id, "-"); ok {
		if v, err := strconv.ParseUint(n, 10, 64); err == nil {
			return seq(v)
		}
	}
	return "~" + id
}

// toShipment is the response of an order shipped.
func toShipment(lines []entitlement.ShippedLine) Shipment {
	return Shipment{Lines: mapSlice(lines, toShipped)}
}
