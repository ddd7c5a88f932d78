// Package keycode parses, detects and derives the hardware key codes (HWKC) that lmskit binds
// licenses to, one grammar per LMS system type, and the software key codes of license lines.
package keycode
