/*
Package cisco parses Cisco IOS / IOS-XE, NX-OS and Arista EOS configurations
(access lists, object-groups, interface and line bindings) into the policy
model. The three dialects (vendors IOS, NXOS, EOS) share one hand-written
line parser; the dialect decides the vendor name and the implicit IPv6 rules.

Semantics decisions, following what the devices do:

  - One filter per ACL (Kind "acl", Entry, Default Deny for the implicit deny).
    Numbered and named ACLs share one namespace ("access-list 10" and
    "ip access-list standard 10" are the same list). Filter.Pos is the line
    that first declares the ACL; "no access-list N" / "no ip access-list"
    delete it and a later definition starts afresh.
  - Entries are ordered by sequence number, as the device stores them;
    entries without one get the highest number so far + 10 (IOS and NX-OS
    auto-numbering), so Rule.Name is the number "show access-lists" prints.
    "no N" inside an ACL deletes entry N; a second entry with an existing
    number is refused by the device and ignored here with a warning. Remarks
    become Extras.Comment of the following entry.
  - Addresses: "A W" wildcards are exact, including non-contiguous ones
    (policy.AddrSetBuilder.AddWildcard); "A/len" (NX-OS, EOS); a bare "A" is a
    host (standard ACLs, NX-OS/EOS). In IOS "object-group network" entries
    "A M" is a subnet mask; in NX-OS "object-group ip address" it is a
    wildcard.
  - Ports: Cisco names per protocol (tcp and udp tables differ); NX-OS/EOS
    names (ssh, https, mlag, bfd, ...) are accepted in every dialect. eq/neq
    take several ports (IOS-XE, NX-OS, EOS). A port condition needs tcp, udp,
    sctp or a group in protocol position.
  - "icmp" in an IPv6 ACL is ICMPv6. Named ICMP messages carry their code
    when the name implies one (port-unreachable = 3/3, ttl-exceeded = 11/0).
  - IPv6 ACLs end with implicit rules: IOS permits nd-na and nd-ns, NX-OS
    also router advertisements and solicitations, before the implicit deny.
    They are modelled as rules named "implicit-..." at the filter's Pos, so an
    explicit final "deny ipv6 any any" shadows them as on the device. EOS has
    no implicit ND permits modelled.
  - established, fragments, TCP flag matches that exclude a plain SYN
    (ack, rst, fin, psh, urg; match-all +ack; match-any of such flags) and
    EOS "tracked" set Match.NotInitial; the keywords are kept verbatim.
  - Service object-groups in protocol position expand into one rule per
    alternative (same Name and Pos); protocol groups become a protocol set;
    NX-OS addrgroup/portgroup resolve to addresses/ports. Re-entering an
    object-group adds to it (configuration-mode semantics).
  - Undefined object-groups: IOS refuses an entry naming one, so the entry
    does not exist on the device; it is kept as a rule that matches nothing
    (name in Unresolved), with a warning and a Config.Undefined record.
    Undefined nested group-objects contribute nothing.
  - Bindings: interface "ip access-group" / "ipv6 traffic-filter" / EOS
    "ipv6 access-group" / NX-OS "ip port access-group" (Kind "interface"),
    "line vty" access-class and EOS "management ssh|api ..." access-groups
    (Kind "vty"), control-plane, "snmp-server community ... ACL" and "ntp
    access-group" (Kind "global").
  - IOS: an ACL with no entries permits all traffic (no implicit deny, no
    implicit IPv6 rules); entries the device refused (undefined
    object-groups) do not count. Such filters get Default Permit and
    Meta["empty"]="true". NX-OS and EOS keep Default Deny.
  - An access-group naming an ACL that does not exist filters nothing on
    IOS/NX-OS/EOS (all traffic passes); the binding is kept, the name is
    recorded in Config.Undefined and a warning says so.
  - Conditions the flow model cannot express (dscp, precedence, tos, ttl,
    packet-length, IPv6 extension headers, IGMP types, time-ranges) are kept
    in Extras and reported as warnings: the rule is evaluated as if they
    held. Dynamic (lock-and-key) and reflexive "evaluate" entries are skipped
    with a warning; non-IP numbered ACLs (MAC, protocol-type) are skipped.
  - Zone-based firewall: ACLs matched by "class-map type inspect" classes of
    the "policy-map type inspect" a zone-pair uses get a Binding of Kind
    "zone-pair" (Target "NAME (SRC -> DST)"); the class actions (inspect,
    pass, drop) themselves are not modelled.
  - Everything else (routing, crypto, QoS, banners with any delimiter, EOS
    "EOF" banners, macros) is skipped.
*/
package cisco
