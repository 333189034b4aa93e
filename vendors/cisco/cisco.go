package cisco

import (
	"github.com/fwpol/fwpol/policy"
	"github.com/fwpol/fwpol/vendors"
)

// IOS covers IOS and IOS-XE.
var IOS = vendors.Vendor{
	Name:        "ios",
	Detect:      func(data []byte) int { return detectFor(data, dIOS) },
	Parse:       func(file string, data []byte) (*policy.Config, error) { return parse(file, data, dIOS) },
	Render:      renderIOS,
	RenderBlock: RenderBlock,
}

// NXOS is Cisco NX-OS.
var NXOS = vendors.Vendor{
	Name:        "nxos",
	Detect:      func(data []byte) int { return detectFor(data, dNXOS) },
	Parse:       func(file string, data []byte) (*policy.Config, error) { return parse(file, data, dNXOS) },
	Render:      renderNXOS,
	RenderBlock: RenderBlock,
}

// EOS is Arista EOS.
var EOS = vendors.Vendor{
	Name:        "eos",
	Detect:      func(data []byte) int { return detectFor(data, dEOS) },
	Parse:       func(file string, data []byte) (*policy.Config, error) { return parse(file, data, dEOS) },
	Render:      renderEOS,
	RenderBlock: RenderBlock,
}

// Vendor is the default dialect (IOS).
var Vendor = IOS
