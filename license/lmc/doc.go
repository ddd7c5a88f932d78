// Package lmc is the License Management Client: the one place on a machine that knows the PBX's key
// code, holds the application licenses bound to it and hands out seats to every application there
// (MA4000 System Management, MA4000 Expense Management, CTI, BCT, UIP).
//
// Applications talk to it through [Client]; a [Server] answers for the LMC over a unix socket or
// loopback TCP, and [Dial] gives an application a [Conn] with the same methods. Seats of counted parts
// are handed out as leases ([Client.Checkout]) that must be renewed within their TTL; the seats out
// never exceed the licensed count.
package lmc
