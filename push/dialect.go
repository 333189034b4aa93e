package push

import (
	"github.com/fwpol/fwpol/vendors"
	"github.com/fwpol/fwpol/vendors/asa"
	"github.com/fwpol/fwpol/vendors/cisco"
	"github.com/fwpol/fwpol/vendors/junos"
)

func junosDialect() vendors.Dialect { return junos.PushDialect() }

func ciscoDialect(name string) vendors.Dialect {
	if name == "asa" {
		return asa.PushDialect()
	}
	d, _ := cisco.PushDialect(name)
	return d
}
