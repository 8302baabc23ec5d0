"""Catalog entries for DNS, mail authentication and the SMTP probe."""

from __future__ import annotations

from scanners.findings import CatalogEntry, Severity

DNS_ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        "email.mx.missing", "No MX record", Severity.MEDIUM,
        "Publish MX records for the domain, or a null MX (RFC 7505) if it sends no mail.",
        "Mail to the domain falls back to its A record, so where PHI sent there lands is "
        "unclear.",
    ),
    CatalogEntry(
        "email.mx.null", "Null MX: the domain accepts no mail", Severity.INFO,
        "If the vendor should receive mail here, replace the null MX with real MX records.",
        "The domain declares it receives no email (RFC 7505); PHI cannot be sent to it.",
    ),
    CatalogEntry(
        "email.spf.missing", "No SPF record", Severity.MEDIUM,
        "Publish one TXT record starting v=spf1 that lists the vendor's sending services and "
        "ends in -all or ~all.",
        "Anyone can send mail that claims to come from this domain, which makes phishing "
        "for PHI easier.",
    ),
    CatalogEntry(
        "email.spf.multiple", "More than one SPF record", Severity.MEDIUM,
        "Merge the SPF records into a single v=spf1 TXT record.",
        "Two SPF records make SPF fail for every message (RFC 7208 4.5), so receivers cannot "
        "tell the vendor's mail from forgeries.",
    ),
    CatalogEntry(
        "email.spf.too_many_lookups", "SPF needs more than 10 DNS lookups", Severity.MEDIUM,
        "Flatten or trim the include chain to at most 10 DNS-querying terms.",
        "Past 10 lookups SPF returns a permanent error (RFC 7208 4.6.4), so the vendor's own "
        "mail may be rejected or treated as forged.",
    ),
    CatalogEntry(
        "email.spf.permissive_all", "SPF allows any sender", Severity.HIGH,
        "End the SPF record with -all (or ~all while testing), never +all or ?all.",
        "+all or ?all tells receivers that any server may send as this domain.",
    ),
    CatalogEntry(
        "email.dmarc.missing", "No DMARC record", Severity.MEDIUM,
        "Publish _dmarc.DOMAIN with v=DMARC1; p=quarantine or p=reject, and a rua address.",
        "Without DMARC, receivers are not told to reject mail that forges the domain.",
    ),
    CatalogEntry(
        "email.dmarc.invalid", "DMARC record is invalid", Severity.MEDIUM,
        "Fix the _dmarc TXT record: it must start with v=DMARC1 and carry a valid p= tag.",
        "Receivers ignore a DMARC record they cannot parse, as if there were none.",
    ),
    CatalogEntry(
        "email.dmarc.policy_none", "DMARC policy is none (monitor only)", Severity.LOW,
        "Move to p=quarantine, then p=reject, once reports show legitimate mail passes.",
        "p=none asks receivers to deliver forged mail anyway.",
    ),
    CatalogEntry(
        "email.dmarc.no_reporting", "DMARC sends no aggregate reports", Severity.LOW,
        "Add rua=mailto:... to the DMARC record.",
        "Without rua reports nobody sees who sends mail as the domain.",
    ),
    CatalogEntry(
        "email.mta_sts.missing", "No MTA-STS policy", Severity.LOW,
        "Publish _mta-sts.DOMAIN (v=STSv1; id=...) and a policy at "
        "https://mta-sts.DOMAIN/.well-known/mta-sts.txt in enforce mode.",
        "Without MTA-STS, a network attacker can strip STARTTLS and read mail, PHI included, "
        "in transit to the vendor.",
    ),
    CatalogEntry(
        "email.mta_sts.testing", "MTA-STS is in testing mode", Severity.LOW,
        "Switch the MTA-STS policy to mode: enforce once TLS reports are clean.",
        "In testing mode senders still deliver when TLS fails, so the policy protects nothing.",
    ),
    CatalogEntry(
        "email.mta_sts.policy_unreachable", "MTA-STS policy cannot be fetched", Severity.MEDIUM,
        "Serve the policy at https://mta-sts.DOMAIN/.well-known/mta-sts.txt with a valid "
        "certificate.",
        "The TXT record announces MTA-STS but senders cannot fetch the policy, so none applies.",
    ),
    CatalogEntry(
        "email.tlsrpt.missing", "No TLS reporting (TLS-RPT)", Severity.INFO,
        "Publish _smtp._tls.DOMAIN with v=TLSRPTv1; rua=mailto:...",
        "Without TLS-RPT the vendor never hears when senders fail to deliver mail securely.",
    ),
    CatalogEntry(
        "dns.caa.missing", "No CAA record", Severity.INFO,
        "Publish CAA records naming the certificate authorities the vendor uses.",
        "Any certificate authority may issue certificates for the domain, which widens the "
        "room for a mis-issued certificate to intercept traffic.",
    ),
)

SMTP_ENTRIES: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        "smtp.unreachable", "Mail server does not answer", Severity.MEDIUM,
        "Make sure every MX host accepts connections on port 25 and answers EHLO, or remove "
        "the MX records of hosts that are gone.",
        "Mail sent to the vendor, PHI included, may be delayed, bounced or sent back to the "
        "sender, and whether the server protects mail in transit could not be checked.",
    ),
    CatalogEntry(
        "smtp.starttls.unsupported", "Mail server does not offer encryption (STARTTLS)",
        Severity.HIGH,
        "Enable STARTTLS on every MX host with a certificate for its name, then publish "
        "MTA-STS in enforce mode.",
        "Mail to this server crosses the internet unencrypted, so anyone on the path can read "
        "PHI in it; HIPAA expects transmission security for ePHI (164.312(e)).",
    ),
    CatalogEntry(
        "smtp.tls.protocol_outdated", "Mail server accepts TLS 1.0 or 1.1", Severity.MEDIUM,
        "Disable TLS 1.0 and 1.1 on the mail server; allow TLS 1.2 and 1.3 only.",
        "TLS 1.0 and 1.1 are retired (RFC 8996) and weaker; a sender that still uses them "
        "protects PHI in transit less well than current standards expect.",
    ),
    CatalogEntry(
        "smtp.cert.invalid", "Mail server certificate is not valid", Severity.LOW,
        "Install a certificate from a public authority that matches the MX host name and has "
        "not expired; required before MTA-STS can be enforced.",
        "Mail is still encrypted (opportunistic TLS does not check certificates), but a "
        "sender cannot be sure it is talking to the vendor's real server, and MTA-STS or "
        "DANE cannot be enforced with this certificate.",
    ),
)
