// Command fwpol parses firewall policies from every vendor of an estate into
// one model and answers questions about them.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], systemIO()))
}
