"""The Received-header analyser: hops oldest first, one encryption verdict each."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanners.received_headers import (
    HeaderReport,
    Hop,
    NoReceivedHeadersError,
    Verdict,
    analyse,
    find_tls,
)

SAMPLES = Path(__file__).parent / "samples"


def _sample(name: str) -> HeaderReport:
    return analyse((SAMPLES / name).read_text(encoding="utf-8"))


def _only_hop(header: str) -> Hop:
    (hop,) = analyse(header).hops
    return hop


@pytest.fixture(scope="module")
def hotmail() -> HeaderReport:
    return _sample("received-hotmail-proofpoint-provider.txt")


# --- the Hotmail -> Proofpoint -> provider sample ----------------------------------------

def test_hops_are_listed_oldest_first(hotmail: HeaderReport) -> None:
    assert [hop.number for hop in hotmail.hops] == [1, 2, 3, 4, 5, 6]
    assert hotmail.hops[0].by_host == "bay0-omc4-s14.bay0.outlook.com"
    assert hotmail.hops[-1].by_host == "def.luxsci.com"
    # the file's last line is the oldest hop; clocks differ, so only the ends are compared
    assert hotmail.hops[0].timestamp == datetime.fromisoformat("2019-08-19T07:41:19-07:00")
    assert hotmail.hops[-1].timestamp == datetime.fromisoformat("2019-08-19T10:41:21-04:00")


def test_outlook_internal_hop_comes_first(hotmail: HeaderReport) -> None:
    hop = hotmail.hops[0]
    assert (hop.from_host, hop.from_ip) == ("BAY403-EAS373", "65.54.190.199")
    assert hop.protocol == "Microsoft SMTPSVC"
    assert hop.verdict is Verdict.INTERNAL


def test_hotmail_to_proofpoint_is_not_recorded_and_probably_not_encrypted(
        hotmail: HeaderReport) -> None:
    hop = hotmail.hops[1]
    assert hop.from_host == "bay0-omc4-s14.bay0.hotmail.com"  # the EHLO name; rDNS was unknown
    assert hop.from_ip == "65.54.190.216"
    assert hop.by_host == "dispatch1-us1.ppe-hosted.com.ppe-hosted.com"
    assert hop.verdict is Verdict.NOT_RECORDED
    assert hop.probably_unencrypted
    assert "Proofpoint records TLS" in hop.reason


def test_proofpoint_to_provider_is_encrypted_with_some_ssl_tls_version(
        hotmail: HeaderReport) -> None:
    hop = hotmail.hops[2]
    assert (hop.from_host, hop.by_host) == ("dispatch1-us1.ppe-hosted.com", "abc.luxsci.com")
    assert hop.verdict is Verdict.ENCRYPTED
    assert hop.tls is not None
    assert hop.tls.cipher == "DHE-RSA-AES256-SHA"
    assert hop.tls.bits == 256
    assert hop.tls.recorded_version == "TLSv1/SSLv3"
    assert hop.tls.version is None  # "some SSL/TLS version", not TLS 1.0


def test_provider_own_hops_are_internal(hotmail: HeaderReport) -> None:
    assert [hop.verdict for hop in hotmail.hops[3:]] == [Verdict.INTERNAL] * 3
    assert hotmail.hops[3].from_host == "localhost"
    assert hotmail.hops[4].from_ip == "127.0.0.1"
    assert hotmail.hops[5].reason == "both ends inside one provider"


def test_internal_hop_keeps_the_tls_it_recorded(hotmail: HeaderReport) -> None:
    tls = hotmail.hops[5].tls
    assert tls is not None
    assert tls.cipher == "DHE-RSA-AES256-SHA"


def test_summary_says_not_every_inter_provider_hop_was_encrypted(hotmail: HeaderReport) -> None:
    assert not hotmail.all_inter_provider_encrypted
    assert hotmail.unencrypted_hops == (2,)
    assert hotmail.summary.startswith("Not every hop between providers was encrypted")
    assert "hop 2 (not recorded, probably not encrypted)" in hotmail.summary


def test_hops_before_the_recipient_provider_are_claimed(hotmail: HeaderReport) -> None:
    assert hotmail.recipient_provider == "luxsci.com"
    assert [hop.claimed for hop in hotmail.hops] == [True, True, False, False, False, False]
    assert hotmail.claimed_hops == (1, 2)
    assert "Hops 1-2 are claimed" in hotmail.summary
    assert "could be forged" in hotmail.summary


def test_trusting_the_filtering_relay_leaves_only_earlier_hops_claimed() -> None:
    raw = (SAMPLES / "received-hotmail-proofpoint-provider.txt").read_text(encoding="utf-8")
    assert analyse(raw, trust=("pphosted.com",)).claimed_hops == (1,)


# --- the provider -> Proofpoint sample ---------------------------------------------------

def test_provider_to_proofpoint_is_encrypted_with_tls_1_2() -> None:
    report = _sample("received-provider-to-proofpoint.txt")
    (hop,) = report.hops
    assert hop.verdict is Verdict.ENCRYPTED
    assert hop.tls is not None
    assert (hop.tls.version, hop.tls.cipher, hop.tls.bits) == (
        "TLS 1.2", "ECDHE-RSA-AES256-GCM-SHA384", 256)
    assert report.all_inter_provider_encrypted
    assert not report.claimed_hops


# --- one synthetic header per format -----------------------------------------------------

POSTFIX = """\
Received: from mail.example.org (mail.example.org [198.51.100.7])
\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)
\t(No client certificate requested)
\tby mx.example.net (Postfix) with ESMTPS id 4ABCD1234
\tfor <bob@example.net>; Tue, 20 Aug 2019 10:00:00 +0000 (UTC)
"""

EXIM = """\
Received: from mail.example.org ([198.51.100.7] helo=mail.example.org)
\tby mx.example.net with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384
\t(Exim 4.96)
\t(envelope-from <alice@example.org>)
\tid 1qXyZ-000123-AB
\tfor bob@example.net; Tue, 20 Aug 2019 10:00:00 +0000
"""

MICROSOFT = """\
Received: from mail.example.org (198.51.100.7) by
 AM5EUR02FT012.mail.protection.outlook.com (10.152.8.123) with Microsoft SMTP
 Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id
 15.20.2157.16 via Frontend Transport; Tue, 20 Aug 2019 10:00:00 +0000
"""

GOOGLE = """\
Received: from mail.example.org (mail.example.org. [198.51.100.7])
        by mx.google.com with ESMTPS id a1si123456qkb.12.2019.08.20.03.00.00
        for <bob@gmail.com>
        (version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128);
        Tue, 20 Aug 2019 03:00:00 -0700 (PDT)
"""


@pytest.mark.parametrize(
    ("header", "protocol", "version", "cipher", "bits"),
    [
        (POSTFIX, "ESMTPS", "TLS 1.3", "TLS_AES_256_GCM_SHA384", 256),
        (EXIM, "esmtps", "TLS 1.3", "TLS_AES_256_GCM_SHA384", None),
        (MICROSOFT, "Microsoft SMTP Server", "TLS 1.2",
         "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", None),
        (GOOGLE, "ESMTPS", "TLS 1.3", "TLS_AES_128_GCM_SHA256", 128),
    ],
    ids=["postfix", "exim", "microsoft", "google"],
)
def test_recorded_tls_is_read_in_each_server_format(
        header: str, protocol: str, version: str, cipher: str, bits: int | None) -> None:
    hop = _only_hop(header)
    assert hop.verdict is Verdict.ENCRYPTED
    assert (hop.from_host, hop.from_ip) == ("mail.example.org", "198.51.100.7")
    assert hop.protocol == protocol
    assert hop.tls is not None
    assert (hop.tls.version, hop.tls.cipher, hop.tls.bits) == (version, cipher, bits)


def test_older_exim_colon_format_is_read() -> None:
    tls = find_tls("from a.example.org by mx.example.net with esmtps "
                   "(TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256) (Exim 4.89)")
    assert tls is not None
    assert (tls.version, tls.cipher, tls.bits) == ("TLS 1.2", "ECDHE_RSA_AES_256_GCM_SHA384", 256)


def test_microsoft_smtpsvc_records_no_tls_and_is_not_known_to() -> None:
    hop = _only_hop("Received: from mail.example.org ([198.51.100.7]) by mx.example.net "
                    "with Microsoft SMTPSVC(6.0.3790.4675); Mon, 19 Aug 2019 07:41:19 -0700\n")
    assert hop.protocol == "Microsoft SMTPSVC"
    assert hop.verdict is Verdict.NOT_RECORDED
    assert not hop.probably_unencrypted


@pytest.mark.parametrize("protocol", ["ESMTPS", "ESMTPSA", "LMTPS", "esmtpsa"])
def test_tls_protocol_without_cipher_is_encrypted_claimed_by_protocol(protocol: str) -> None:
    hop = _only_hop(f"Received: from mail.example.org (mail.example.org [198.51.100.7]) "
                    f"by mx.example.net (Postfix) with {protocol} id 4ABC; "
                    f"Tue, 20 Aug 2019 10:00:00 +0000\n")
    assert hop.verdict is Verdict.ENCRYPTED_CLAIMED_BY_PROTOCOL
    assert hop.tls is None


PLAIN_ESMTP = ("Received: from mail.example.org (mail.example.org [198.51.100.7]) "
               "by {by} with ESMTP id 4ABC; Tue, 20 Aug 2019 10:00:00 +0000\n")


def test_plain_esmtp_to_a_server_not_known_to_log_tls_is_only_not_recorded() -> None:
    hop = _only_hop(PLAIN_ESMTP.format(by="mx.example.net (Postfix)"))
    assert hop.verdict is Verdict.NOT_RECORDED
    assert not hop.probably_unencrypted
    assert "may not log TLS" in hop.reason


def test_plain_esmtp_to_google_is_probably_not_encrypted() -> None:
    hop = _only_hop(PLAIN_ESMTP.format(by="mx.google.com"))
    assert hop.verdict is Verdict.NOT_RECORDED
    assert hop.probably_unencrypted


def test_a_postfix_server_that_logged_tls_elsewhere_is_known_to_log_it() -> None:
    report = analyse(POSTFIX + PLAIN_ESMTP.format(by="mx.example.net (Postfix)"))
    oldest, newest = report.hops
    assert oldest.verdict is Verdict.NOT_RECORDED
    assert oldest.probably_unencrypted
    assert "recorded TLS on hop 2" in oldest.reason
    assert newest.verdict is Verdict.ENCRYPTED


# --- internal hops -----------------------------------------------------------------------

@pytest.mark.parametrize(
    "received",
    [
        "from relay.example.org (relay.example.org [10.1.2.3]) by mx.example.net",
        "from mx.example.net (localhost [::1]) by mx.example.net",
        "from gw.example.org ([198.51.100.7]) by gw.example.org",
        "from out.mail.example.org ([198.51.100.7]) by in.mail.example.org",
        "from a.mail.example.co.uk ([198.51.100.7]) by b.example.co.uk",
    ],
    ids=["private-address", "loopback", "same-host", "same-domain", "same-domain-co-uk"],
)
def test_hops_inside_one_provider_are_internal(received: str) -> None:
    hop = _only_hop(f"Received: {received} with ESMTP id 1; Tue, 20 Aug 2019 10:00:00 +0000\n")
    assert hop.verdict is Verdict.INTERNAL


def test_hops_between_microsoft_domains_are_inside_one_provider() -> None:
    hop = _only_hop("Received: from a.bay0.hotmail.com ([198.51.100.7]) "
                    "by b.bay0.outlook.com with ESMTP; Tue, 20 Aug 2019 10:00:00 +0000\n")
    assert hop.verdict is Verdict.INTERNAL


def test_different_registrable_domains_are_different_providers() -> None:
    hop = _only_hop(PLAIN_ESMTP.format(by="mx.example.net"))
    assert hop.verdict is not Verdict.INTERNAL


def test_only_internal_hops_means_nothing_between_providers() -> None:
    report = analyse("Received: from mx.example.net (localhost [127.0.0.1]) by mx.example.net "
                     "with ESMTP; Tue, 20 Aug 2019 10:00:00 +0000\n")
    assert report.all_inter_provider_encrypted
    assert report.summary == "No hop between providers: every hop was internal."


# --- header syntax -----------------------------------------------------------------------

def test_folded_headers_among_other_headers_are_unfolded() -> None:
    raw = ("DKIM-Signature: v=1; a=rsa-sha256;\r\n"
           "\tb=abc; Received: not-a-header\r\n"
           "received: from mail.example.org\r\n"
           "  (mail.example.org [198.51.100.7])\r\n"
           "\tby mx.example.net (Postfix)\r\n"
           "\twith ESMTPS id 4ABC\r\n"
           "\tfor <bob@example.net>;\r\n"
           "\tTue, 20 Aug 2019 10:00:00 +0000\r\n"
           "Subject: hello\r\n"
           "\r\n"
           "Received: from body.example.com by body.example.com\r\n")
    hop = _only_hop(raw)
    assert (hop.from_host, hop.from_ip, hop.by_host) == (
        "mail.example.org", "198.51.100.7", "mx.example.net")
    assert hop.protocol == "ESMTPS"
    assert hop.timestamp == datetime(2019, 8, 20, 10, tzinfo=UTC)


def test_unparsable_timestamp_is_none() -> None:
    hop = _only_hop(PLAIN_ESMTP.format(by="mx.example.net").replace(
        "Tue, 20 Aug 2019 10:00:00 +0000", "sometime yesterday"))
    assert hop.timestamp is None


def test_text_without_received_headers_is_refused() -> None:
    with pytest.raises(NoReceivedHeadersError):
        analyse("From: a@example.org\nSubject: hi\n")


def test_results_are_frozen(hotmail: HeaderReport) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        hotmail.hops[0].claimed = False  # type: ignore[misc]
