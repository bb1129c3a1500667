// RFC 4475 torture messages (§3.1.1 valid, §3.1.2 invalid), written as faithful equivalents of the
// RFC's text: what our parser makes of each, and what the endpoint answers over real sockets on
// loopback. Plus the framer's fast paths checked against sip.js's grammar, which they stand in for.

import { Grammar } from "sip.js/lib/grammar/index.js";
import { parseMessage, type SipRequest, type SipResponse } from "../../gateway/sip/message.ts";
import { fastPaths } from "../../gateway/sip/parser.ts";
import { assert, assertEquals, RawUdp, settled, startEndpoint, tcpExchange, waitFor } from "./support.ts";

const enc = new TextEncoder();
const crlf = (lines: string[], body = "") => lines.join("\r\n") + "\r\n\r\n" + body;
/** An SDP like the RFC's bodies (the RFC's exact byte counts do not matter: Content-Length is ours). */
const sdp = (host = "192.0.2.1") =>
  [`v=0`, `o=mhandley 29739 7272939 IN IP4 ${host}`, `s=-`, `c=IN IP4 ${host}`, `t=0 0`, `m=audio 49217 RTP/AVP 0 12`]
    .join("\r\n") + "\r\n";
const len = (body: string) => `Content-Length: ${enc.encode(body).length}`;

const wsinvBody = sdp("192.0.2.1");
const longUser = "very".repeat(60);
const longBody = sdp("192.0.2.1");

/** §3.1.1: messages a parser must accept. `status`: what our endpoint answers (null: nothing, a response). */
const VALID: Record<string, { text: string; status: number | null }> = {
  wsinv: {
    text: crlf([
      "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0",
      "TO :",
      " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
      'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
      "  ;",
      "  tag = 98asjd8",
      "MaX-fOrWaRdS: 0068",
      "Call-ID: wsinv.ndaksdj@192.0.2.1",
      `Content-Length   : ${enc.encode(wsinvBody).length}`,
      "cseq: 0009",
      "  INVITE",
      "Via  : SIP  /   2.0",
      " /UDP",
      "    192.0.2.2;branch=390skdjuw",
      "s :",
      "NewFangledHeader:   newfangled value",
      " continued newfangled value",
      "UnknownHeaderWithUnusualValue: ;;,,;;,;",
      "Content-Type: application/sdp",
      "Route:",
      " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>",
      "v:  SIP  / 2.0  / TCP     spindle.example.com   ;",
      "  branch  =   z9hG4bK9ikj8  ,",
      " SIP  /    2.0   / UDP  192.168.255.111   ; branch=",
      " z9hG4bK30239",
      'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =',
      "      newvalue ;",
      "  secondparam ; q = 0.33",
    ], wsinvBody),
    // Its To has a tag, so it is in-dialog, and there is no such dialog.
    status: 481,
  },
  intmeth: {
    text: crlf([
      "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0",
      "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~",
      'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7F" <sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*@example.com>',
      "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439\";tag=_token~1'+`*%!-.",
      "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
      "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~",
      "Max-Forwards: 255",
      "extensionHeader-!.%*+_`'~:\ufeff\u5927\u505c\u96fb",
      "Content-Length: 0",
    ]),
    status: 405,
  },
  esc01: {
    text: crlf([
      "INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0",
      "To: sip:%75se%72@example.com",
      "From: <sip:I%20have%20spaces@example.net>;tag=938",
      "Max-Forwards: 87",
      "i: esc01.239409asdfakjkn23onasd0-3234",
      "CSeq: 234234 INVITE",
      "Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw",
      "C: application/sdp",
      "Contact:",
      "  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>",
      len(sdp()),
    ], sdp()),
    // No call handler in these tests: a valid INVITE is refused with 480 after its 100.
    status: 480,
  },
  escnull: {
    text: crlf([
      "REGISTER sip:example.com SIP/2.0",
      "To: sip:null-%00-null@example.com",
      "From: sip:null-%00-null@example.com;tag=839923423",
      "Max-Forwards: 70",
      "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd",
      "CSeq: 14398234 REGISTER",
      "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw",
      "Contact: <sip:%00@host5.example.com>",
      "Contact: <sip:%00%00@host5.example.com>",
      "L:0",
    ]),
    status: 405,
  },
  esc02: {
    text: crlf([
      "RE%47IST%45R sip:registrar.example.com SIP/2.0",
      'To: "%Z%45" <sip:resource@example.com>',
      'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23',
      "Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf",
      "Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209323",
      "CSeq: 29344 RE%47IST%45R",
      "Max-Forwards: 70",
      "Contact: <sip:alias1@host1.example.com>",
      "C%6Fntact: <sip:alias2@host2.example.com>",
      "Contact: <sip:alias3@host3.example.com>",
      "l: 0",
    ]),
    status: 405,
  },
  lwsdisp: {
    text: crlf([
      "OPTIONS sip:user@example.com SIP/2.0",
      "To: sip:user@example.com",
      "From: caller<sip:caller@example.com>;tag=323",
      "Max-Forwards: 70",
      "Call-ID: lwsdisp.1234abcd@funky.example.com",
      "CSeq: 60 OPTIONS",
      "Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw",
      "l: 0",
    ]),
    status: 200,
  },
  longreq: {
    text: crlf([
      `INVITE sip:user@example.com SIP/2.0`,
      `To: "I have a user name of ${"extreme".repeat(100)} proportion"<sip:user@example.com:6000;unknownparam1=very${
        "long".repeat(20)
      }value;longparam${"name".repeat(25)}=shortvalue;${"very".repeat(25)}ParamNameWithNoValue>`,
      `F: sip:${"amazinglylongcallername".repeat(5)}@example.net;tag=12${"982".repeat(50)}424;unknownheaderparam${
        "name".repeat(20)
      }=unknowheaderparam${"value".repeat(15)};unknownValuelessparam${"name".repeat(10)}`,
      `Call-ID: longreq.one${"really".repeat(20)}longcallid`,
      "CSeq: 3882340 INVITE",
      `Unknown-${"Long".repeat(20)}-Name: unknown-${"long".repeat(20)}-value; unknown-${
        "long".repeat(20)
      }-parameter-name = unknown-${"long".repeat(20)}-parameter-value`,
      ...Array.from({ length: 9 }, (_, i) => `Via: SIP/2.0/TCP sip${i + 33}.example.com`),
      "v: SIP/2.0/TCP 192.0.2.123;branch=z9hG4bK4ecdb9b7a2c1d3e7",
      "Max-Forwards: 70",
      `Contact: <sip:${longUser}@host5.example.net>`,
      "Content-Type: application/sdp",
      len(longBody),
    ], longBody),
    status: 480,
  },
  semiuri: {
    text: crlf([
      "OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0",
      "To: sip:j_user@example.com",
      "From: sip:caller@example.org;tag=33242",
      "Max-Forwards: 3",
      "Call-ID: semiuri.0ha0isndaksdj",
      "CSeq: 8 OPTIONS",
      "Accept: application/sdp, application/pkcs7-mime,",
      "        multipart/mixed, multipart/signed,",
      "        message/sip, message/sipfrag",
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw",
      "l: 0",
    ]),
    status: 200,
  },
  transports: {
    text: crlf([
      "OPTIONS sip:user@example.com SIP/2.0",
      "To: sip:user@example.com",
      "From: <sip:caller@example.com>;tag=323",
      "Max-Forwards: 70",
      "Call-ID:  transports.kijh4akdnaqjkwendsasfdj",
      "Accept: application/sdp",
      "CSeq: 60 OPTIONS",
      "Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw",
      "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf",
      "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj",
      "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en",
      "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee",
      "l: 0",
    ]),
    status: 200,
  },
  mpart01: {
    text: crlf([
      "MESSAGE sip:kumiko@example.org SIP/2.0".replace("MESSAGE", "INVITE"),
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKmp17",
      "Max-Forwards: 70",
      "From: <sip:kumiko@example.org>;tag=9876",
      "To: <sip:kumiko@example.org>",
      "Call-ID: mpart01.asdkfjh@example.org",
      "CSeq: 1 INVITE",
      "Contact: <sip:kumiko@192.0.2.1>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed;boundary="7a9cbec02ceef655"',
      "Content-Disposition: session;handling=required",
      len(mpartBody()),
    ], mpartBody()),
    // Only application/sdp is accepted for INVITE (§21.4.16): 415 with Accept.
    status: 415,
  },
  unreason: {
    text: crlf([
      "SIP/2.0 200 = 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435",
      "Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923",
      "Call-ID: unreason.1234ksdfak3j2erwedfsASdf",
      "CSeq: 35 INVITE",
      "From: sip:user@example.com;tag=11141343",
      "To: sip:user@example.com;tag=2229",
      "Content-Type: application/sdp",
      "Contact: <sip:user@host198.example.com>",
      len(sdp("192.0.2.198")),
    ], sdp("192.0.2.198")),
    status: null,
  },
  noreason: {
    text: crlf([
      "SIP/2.0 100 ",
      "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe",
      "Call-ID: noreason.asndj203insdf99223ndf",
      "CSeq: 35 INVITE",
      "From: <sip:user@example.com>;tag=39ansfi3",
      "To: <sip:user@example.com>;tag=902jndnke3",
      "Content-Length: 0",
      "Contact: <sip:user@host105.example.com>",
    ]),
    status: null,
  },
};

function mpartBody(): string {
  return [
    "--7a9cbec02ceef655",
    "Content-Type: text/plain",
    "Content-Transfer-Encoding: binary",
    "",
    "Hello",
    "--7a9cbec02ceef655",
    "Content-Type: application/octet-stream",
    "Content-Transfer-Encoding: binary",
    "",
    "0\x82\x01R\x06\t*\x86H\x86\xf7\r\x01\x07\x02",
    "--7a9cbec02ceef655--",
    "",
  ].join("\r\n");
}

const base = (id: string, method = "OPTIONS") => [
  `Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK${id}`,
  "To: sip:user@example.com",
  `From: sip:caller@example.net;tag=${id}1`,
  "Max-Forwards: 70",
  `Call-ID: ${id}.0ha0isndaksdjasdf3234nas`,
  `CSeq: 8 ${method}`,
];

/** §3.1.2: messages a parser must refuse; "drop" = no answer (a response, or not answerable). */
const INVALID: Record<string, { text: string; status: number | "drop"; udpOnly?: boolean }> = {
  badinv01: {
    text: crlf([
      "INVITE sip:user@example.com SIP/2.0",
      "To: sip:j.user@example.com",
      "From: sip:caller@example.net;tag=134161461246",
      "Max-Forwards: 7",
      "Call-ID: badinv01.0ha0isndaksdjasdf3234nas",
      "CSeq: 8 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.15;;,;,,",
      'Contact: "Joe" <sip:joe@example.org>;;;;',
      "Content-Type: application/sdp",
      len(sdp()),
    ], sdp()),
    status: 400,
  },
  // Over a stream the rest of the body could still come, so this one is a datagram case.
  clerr: {
    text: crlf([
      "INVITE sip:user@example.com SIP/2.0",
      "Max-Forwards: 80",
      "To: sip:j.user@example.com",
      "From: sip:caller@example.net;tag=93942939o2",
      "Contact: <sip:caller@hungry.example.net>",
      "Call-ID: clerr.0ha0isndaksdjweiafasdk3",
      "CSeq: 8 INVITE",
      "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523",
      "Content-Type: application/sdp",
      "Content-Length: 9999",
    ], sdp()),
    status: 400,
    udpOnly: true,
  },
  scalar02: {
    text: crlf([
      "REGISTER sip:example.com SIP/2.0",
      "Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3",
      "To: <sip:user@example.com>",
      "From: <sip:user@example.com>;tag=239232jh3",
      "CSeq: 36893488147419103232 REGISTER",
      "Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32",
      "Max-Forwards: 300",
      "Expires: 1000000000000000000000000000000000000000000",
      "Contact: <sip:user@host129.example.com>",
      "  ;expires=280297596632815",
      "Content-Length: 0",
    ]),
    status: 400,
  },
  scalarlg: {
    text: crlf([
      "SIP/2.0 503 Service Unavailable",
      "Via: SIP/2.0/TCP host129.example.com;branch=zzf43fvn23;received=192.0.2.129",
      "To: <sip:user@example.com>",
      "From: <sip:other@example.net>;tag=2easdjfejw",
      "CSeq: 9292394834772304023312 OPTIONS",
      "Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r",
      "Retry-After: 949302838503028349304023988",
      'Warning: 1812 overture "In Progress"',
      "Content-Length: 0",
    ]),
    status: "drop",
  },
  quotbal: {
    text: crlf([
      "INVITE sip:user@example.com SIP/2.0",
      'To: "Mr. J. User <sip:j.user@example.com>',
      "From: sip:caller@example.net;tag=93334",
      "Max-Forwards: 10",
      "Call-ID: quotbal.aksdj",
      "Contact: <sip:caller@host59.example.net>",
      "CSeq: 0 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234",
      "Content-Type: application/sdp",
      len(sdp()),
    ], sdp()),
    status: 400,
  },
  ltgtruri: {
    text: crlf(["INVITE <sip:user@example.com> SIP/2.0", ...base("ltgtruri", "INVITE"), "Content-Length: 0"]),
    status: 400,
  },
  lwsruri: {
    text: crlf(["INVITE sip:user@example.com; lr SIP/2.0", ...base("lwsruri", "INVITE"), "Content-Length: 0"]),
    status: 400,
  },
  lwsstart: {
    text: crlf(["INVITE  sip:user@example.com  SIP/2.0", ...base("lwsstart", "INVITE"), "Content-Length: 0"]),
    status: 400,
  },
  trws: {
    text: crlf(["OPTIONS sip:remote-target@example.com SIP/2.0  ", ...base("trws"), "l: 0"]),
    status: 400,
  },
  escruri: {
    text: crlf([
      "INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0",
      ...base("escruri", "INVITE"),
      "Content-Length: 0",
    ]),
    status: 400,
  },
  baddate: {
    text: crlf([
      "INVITE sip:user@example.com SIP/2.0",
      ...base("baddate", "INVITE"),
      "Date: Fri, 01 Jan 2010 16:00:00 EST",
      "Contact: <sip:caller@host5.example.net>",
      "Content-Length: 0",
    ]),
    status: 400,
  },
  regbadct: {
    text: crlf([
      "REGISTER sip:example.com SIP/2.0",
      "To: sip:user@example.com",
      "From: sip:user@example.com;tag=998332",
      "Max-Forwards: 70",
      "Call-ID: regbadct.k345asrl3fdbv@192.0.2.1",
      "CSeq: 1 REGISTER",
      "Via: SIP/2.0/UDP 135.180.130.133;branch=z9hG4bKkdjuw",
      "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E",
      "l: 0",
    ]),
    status: 400,
  },
  badaspec: {
    text: crlf([
      "OPTIONS sip:user@example.org SIP/2.0",
      "Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234",
      "Max-Forwards: 70",
      'From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423',
      'To: "Watson, Thomas" < sip:t.watson@example.org >',
      "Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3",
      "Accept: application/sdp",
      "CSeq: 3923239 OPTIONS",
      "l: 0",
    ]),
    status: 400,
  },
  baddn: {
    text: crlf([
      "OPTIONS sip:t.watson@example.org SIP/2.0",
      "Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw",
      "Max-Forwards:      70",
      "From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
      "To:      Watson, Thomas <sip:t.watson@example.org>",
      "Call-ID: baddn.31415@c.example.com",
      "Accept: application/sdp",
      "CSeq:    3923239 OPTIONS",
      "l: 0",
    ]),
    status: 400,
  },
  badvers: {
    text: crlf(["OPTIONS sip:t.watson@example.org SIP/7.0", ...base("badvers"), "l: 0"]),
    status: 505,
  },
  mismatch01: {
    text: crlf(["OPTIONS sip:user@example.com SIP/2.0", ...base("mismatch01", "INVITE"), "l: 0"]),
    status: 400,
  },
  mismatch02: {
    text: crlf([
      "NEWMETHOD sip:user@example.com SIP/2.0",
      ...base("mismatch02", "INVITE"),
      "Contact: <sip:caller@host5.example.net>",
      "Content-Type: application/sdp",
      len(sdp()),
    ], sdp()),
    status: 400,
  },
  bigcode: {
    text: crlf([
      "SIP/2.0 4294967301 better not break the receiver",
      "Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe",
      "Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i",
      "CSeq: 353494 INVITE",
      "From: <sip:user@example.com>;tag=39ansfi3",
      "To: <sip:user@example.edu>;tag=902jndnke3",
      "Content-Length: 0",
      "Contact: <sip:user@host105.example.com>",
    ]),
    status: "drop",
  },
  badbranch: {
    text: crlf([
      "OPTIONS sip:user@example.com SIP/2.0",
      "To: sip:user@example.com",
      "From: sip:caller@example.org;tag=33242",
      "Max-Forwards: 3",
      "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK",
      "Accept: application/sdp",
      "Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n",
      "CSeq: 8 OPTIONS",
      "l: 0",
    ]),
    status: 400,
  },
  // §3.1.2 further cases: missing mandatory headers, a negative and a doubled Content-Length,
  // doubled single-valued headers, URI schemes we do not serve.
  insuf: {
    text: crlf([
      "INVITE sip:user@example.com SIP/2.0",
      "CSeq: 193942 INVITE",
      "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf",
      "Content-Type: application/sdp",
      "l: 0",
    ]),
    status: 400,
  },
  ncl: {
    text: crlf([
      "INVITE sip:user@example.com SIP/2.0",
      ...base("ncl", "INVITE"),
      "Content-Type: application/sdp",
      "Content-Length: -999",
    ], sdp()),
    status: 400,
    // A stream cannot be framed past it: the transport closes the connection (tests/sip/raw_test.ts).
    udpOnly: true,
  },
  mcl01: {
    text: crlf(
      ["OPTIONS sip:user@example.com SIP/2.0", ...base("mcl01"), "Content-Length: 0", "Content-Length: 2"],
      "\r\n",
    ),
    status: 400,
  },
  multi01: {
    text: crlf([
      "INVITE sip:user@company.com SIP/2.0",
      "Contact: <sip:caller@host25.example.net>",
      "Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw",
      "Max-Forwards: 70",
      "CSeq: 5 INVITE",
      "Call-ID: multi01.98asdh@192.0.2.1",
      "CSeq: 59 INVITE",
      "Call-ID: multi01.98asdh@192.0.2.2",
      "From: sip:caller@example.com;tag=3413415",
      "To: sip:user@example.com",
      "To: sip:other@example.net",
      "From: sip:caller@example.net;tag=2923420123",
      "Content-Type: application/sdp",
      len(sdp()),
      "Contact: <sip:caller@host36.example.net>",
      "Max-Forwards: 5",
    ], sdp()),
    status: 400,
  },
  unkscm: {
    text: crlf(["OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0", ...base("unkscm"), "l: 0"]),
    status: 416,
  },
  novelsc: {
    text: crlf(["OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0", ...base("novelsc"), "l: 0"]),
    status: 416,
  },
};

const bytes = (s: string) => enc.encode(s);
const statusOf = (raws: string[]) => {
  const m = raws.length ? /^SIP\/2\.0 (\d{3}) /.exec(raws[raws.length - 1]) : null;
  return m ? Number(m[1]) : null;
};

Deno.test("RFC 4475 §3.1.1 valid messages parse, with the values the RFC means", () => {
  const got: Record<string, string> = {};
  for (const [name, c] of Object.entries(VALID)) {
    const p = parseMessage(bytes(c.text));
    got[name] = p.kind === "reject" || p.kind === "drop" ? `${p.kind}: ${p.reason}` : p.kind;
  }
  assertEquals(got, {
    wsinv: "request",
    intmeth: "request",
    esc01: "request",
    escnull: "request",
    esc02: "request",
    lwsdisp: "request",
    longreq: "request",
    semiuri: "request",
    transports: "request",
    mpart01: "request",
    unreason: "response",
    noreason: "response",
  });
  const req = (name: string) => (parseMessage(bytes(VALID[name].text)) as { request: SipRequest }).request;
  const res = (name: string) => (parseMessage(bytes(VALID[name].text)) as { response: SipResponse }).response;

  const w = req("wsinv");
  assertEquals(w.toTag, "1918181833n");
  assertEquals(w.fromTag, "98asjd8");
  assertEquals(w.from.displayName, 'J Rosenberg \\\\\\"');
  assertEquals(w.cseq, 9);
  assertEquals(w.parseHeader("cseq").method, "INVITE");
  assertEquals(Number(w.getHeader("max-forwards")), 68);
  assertEquals(w.via.host, "192.0.2.2");
  assertEquals(w.via.branch, "390skdjuw");
  // Three via-parms in two Via headers, one entry each, in order.
  assertEquals(w.getHeaders("via").length, 3);
  assertEquals(w.parseHeader("via", 1).host, "spindle.example.com");
  assertEquals(w.parseHeader("via", 1).branch, "z9hG4bK9ikj8");
  assertEquals(w.parseHeader("via", 2).branch, "z9hG4bK30239");
  assertEquals(w.getHeader("newfangledheader"), "newfangled value continued newfangled value");
  assertEquals(w.getHeader("subject"), "");
  assertEquals(w.parseHeader("contact").getParam("q"), "0.33");
  assertEquals(w.body, wsinvBody);
  assertEquals(w.ruri?.hasParam("unknownparam"), true);

  const im = req("intmeth");
  assertEquals(im.method, "!interesting-Method0123456789_*+`.%indeed'~");
  assertEquals(
    im.ruri?.user,
    "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)",
  );
  assertEquals(im.callId, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  assertEquals(im.fromTag, "_token~1'+`*%!-.");

  const e1 = req("esc01");
  assertEquals(e1.ruri?.user, "sips:user@example.com");
  assertEquals(e1.to.uri.user, "user");
  assertEquals(e1.from.uri.user, "I have spaces");

  assertEquals(req("escnull").getHeaders("contact").length, 2);
  const e2 = req("esc02");
  assertEquals(e2.method, "RE%47IST%45R");
  assertEquals(e2.getHeaders("contact").length, 2, "C%6Fntact is not Contact");
  assertEquals(req("lwsdisp").from.displayName, "caller");
  const lr = req("longreq");
  assertEquals(lr.getHeaders("via").length, 10);
  assertEquals(lr.to.displayName.length > 700, true);
  assertEquals(req("semiuri").ruri?.user, "user;par=u@example.net");
  assertEquals(req("transports").getHeaders("via").map((v) => v.split(" ")[0]), [
    "SIP/2.0/UDP",
    "SIP/2.0/SCTP",
    "SIP/2.0/TLS",
    "SIP/2.0/UNKNOWN",
    "SIP/2.0/TCP",
  ]);
  assertEquals(enc.encode(req("mpart01").body).length > 0, true);
  const u = res("unreason");
  assertEquals(u.statusCode, 200);
  assertEquals(u.reasonPhrase.startsWith("= 2**3 * 5**2 \u043d\u043e"), true);
  assertEquals(u.method, "INVITE");
  const n = res("noreason");
  assertEquals([n.statusCode, n.reasonPhrase, n.toTag], [100, "", "902jndnke3"]);
});

Deno.test("RFC 4475 §3.1.1 dblreq: the bytes after the first message's body are discarded", () => {
  const second = crlf([
    "INVITE sip:joe@example.com SIP/2.0",
    "t: sip:joe@example.com",
    "From: sip:caller@example.net;tag=141334",
    "Max-Forwards: 8",
    "Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15",
    "CSeq: 8 INVITE",
    "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234",
    "Content-Type: application/sdp",
    len(sdp()),
  ], sdp());
  const p = parseMessage(bytes(dblreq(second)));
  assert(p.kind === "request", JSON.stringify(p));
  assertEquals([p.request.method, p.request.body], ["REGISTER", ""]);
});

function dblreq(second: string, via = "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw230dblreq") {
  return crlf([
    "REGISTER sip:example.com SIP/2.0",
    "To: sip:j.user@example.com",
    "From: sip:j.user@example.com;tag=43251j3j324",
    "Max-Forwards: 8",
    "I: dblreq.0ha0isndaksdj99sdfafnl3lk233412",
    "Contact: sip:j.user@host.example.com",
    "CSeq: 8 REGISTER",
    via,
    "Content-Length: 0",
  ]) + second;
}

Deno.test("RFC 4475 §3.1.2 invalid messages are refused with the right status, or dropped", () => {
  const got: Record<string, number | string> = {};
  const want: Record<string, number | string> = {};
  for (const [name, c] of Object.entries(INVALID)) {
    const p = parseMessage(bytes(c.text));
    got[name] = p.kind === "reject" ? p.response.status : p.kind;
    want[name] = c.status;
  }
  assertEquals(got, want);
  // A refusal echoes the headers it could read, and says why in a Warning.
  const p = parseMessage(bytes(INVALID.badvers.text));
  assert(p.kind === "reject");
  assertEquals(p.response.header("Call-ID"), "badvers.0ha0isndaksdjasdf3234nas");
  assert(p.response.header("Warning")?.includes("SIP/7.0"));
});

Deno.test("RFC 4475 over TCP and UDP: the endpoint answers every torture message as above and keeps working", async () => {
  const ep = startEndpoint();
  const peer = new RawUdp(ep.port);
  const mismatches: string[] = [];
  try {
    const all = [
      ...Object.entries(VALID).map(([n, c]) => [n, c.text, c.status ?? "drop", false] as const),
      ...Object.entries(INVALID).map(([n, c]) => [n, c.text, c.status, c.udpOnly === true] as const),
    ];
    for (const [name, text, status, udpOnly] of all) {
      if (udpOnly) continue;
      const received = ep.counters.received;
      // halfClose: the endpoint answers, then closes on our EOF; its final answer is the last one.
      const { raws } = await tcpExchange(ep.port, bytes(text), true);
      const got = statusOf(raws) ?? "drop";
      if (got !== status) mismatches.push(`TCP ${name}: expected ${status}, got ${got} ${raws.at(-1)?.slice(0, 200)}`);
      if (ep.counters.received === received) mismatches.push(`TCP ${name}: never reached the endpoint`);
      if (got === 405 && !/\r\nAllow: INVITE/.test(raws.at(-1)!)) mismatches.push(`TCP ${name}: 405 without Allow`);
      if (got === 415 && !/\r\nAccept: application\/sdp/.test(raws.at(-1)!)) mismatches.push(`${name}: no Accept`);
    }
    // clerr and ncl over UDP (refusals go to the source address): the datagram's framing is wrong.
    for (const [name, c] of Object.entries(INVALID).filter(([, c]) => c.udpOnly)) {
      const callId = /^Call-ID: (\S+)/m.exec(c.text)![1];
      await peer.send(c.text);
      await waitFor(`${name}'s answer`, () => peer.raw.find((r) => r.includes(callId)));
      assertEquals(statusOf(peer.raw.filter((r) => r.includes(callId))), c.status, name);
    }
    // dblreq over UDP (its Via names us, so the answer reaches this socket): only the REGISTER is answered.
    const invite = crlf([
      "INVITE sip:joe@example.com SIP/2.0",
      "t: sip:joe@example.com",
      "From: sip:caller@example.net;tag=141334",
      "Max-Forwards: 8",
      "Call-ID: dblreq.second@192.0.2.15",
      "CSeq: 8 INVITE",
      `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKkdjuw380234`,
      "Content-Type: application/sdp",
      len(sdp()),
    ], sdp());
    await peer.send(dblreq(invite, `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKkdjuw230dblreq`));
    await waitFor("dblreq's 405", () => peer.responses("dblreq.0ha0isndaksdj99sdfafnl3lk233412").length > 0);
    // A probe after it: answered, so anything for the INVITE would have arrived before the probe's.
    await peer.send(crlf([
      "OPTIONS sip:user@example.com SIP/2.0",
      `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKprobe1`,
      "To: sip:user@example.com",
      "From: sip:probe@example.net;tag=p1",
      "Call-ID: torture-probe",
      "CSeq: 1 OPTIONS",
      "l: 0",
    ]));
    const ok = await peer.next("the probe's 200", () => peer.responses("torture-probe")[0]);
    assertEquals(ok.statusCode, 200);
    assertEquals(peer.responses("dblreq.0ha0isndaksdj99sdfafnl3lk233412").map((r) => r.statusCode), [405]);
    assertEquals(peer.responses("dblreq.second@192.0.2.15"), []);
    assertEquals(mismatches, []);
    await settled(ep, 10_000);
  } finally {
    await peer.close();
    await ep.stop();
  }
});

/** URIs, name-addrs and Vias the fast paths accept: each must give what sip.js's grammar gives. */
Deno.test("the framer's fast paths give sip.js's grammar's result for everything they accept", () => {
  const uris = [
    "sip:1234567890*123456@127.0.0.1:5060",
    "sip:+15550001234@127.0.0.1:40000",
    "SIP:Alice@Atlanta.Example.COM;Transport=TCP;lr",
    "sips:bob@biloxi.example.com:5061;user=Phone;maddr=192.0.2.4;ttl=5;method=INVITE",
    "sip:talkspace@10.0.0.1:5080;transport=udp;x-thing=Value-1",
    "sip:example.com",
    "sip:a.b-c@host-1.example",
    "sip:user@256.1.1.1",
    "sip:user@-bad.example",
    "sip:user@example.123",
    "sip:user@example.com:99999",
    "sip:user@example.com;lr;lr",
  ];
  const names = [
    '"Bench Caller" <sip:+15550001234@127.0.0.1:40000>;tag=bench-abc',
    "<sip:1234567890*123456@127.0.0.1:5060>",
    "caller<sip:caller@example.com>;tag=323",
    "sip:user@example.com;tag=839923423",
    "sip:user@example.com ; tag = x ; foo",
    "Anonymous <sip:anonymous@anonymous.invalid>;tag=Ab.9;expires=60",
    '"" <sip:a@b.example>',
    "<sip:a@b.example;transport=tcp>;q=0.5",
  ];
  const vias = [
    "SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKabcdef123;rport",
    "SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bK1;received=192.0.2.1",
    "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;ttl=16;x=Y",
    "SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw",
    "SIP/2.0/UDP 10.0.0.1;rport=5062;branch=z9hG4bKx",
  ];
  const accepted: string[] = [];
  const json = (v: unknown) => JSON.parse(JSON.stringify(v));
  for (const u of uris) {
    const fast = fastPaths.uri(u);
    if (!fast) continue;
    accepted.push(u);
    assertEquals(json(fast), json(Grammar.URIParse(u)), u);
    assertEquals(fast.toString(), Grammar.URIParse(u)!.toString(), u);
  }
  for (const n of names) {
    const fast = fastPaths.nameAddr(n);
    if (!fast) continue;
    accepted.push(n);
    const g = Grammar.parse(n, "From");
    // Same values; (toString orders the parameters differently: the From rule adds its tag last.)
    assertEquals([json(fast), fast.displayName, fast.uri.toString()], [json(g), g.displayName, g.uri.toString()], n);
  }
  for (const v of vias) {
    const fast = fastPaths.via(v);
    if (!fast) continue;
    accepted.push(v);
    const g = Grammar.parse(v, "Via");
    for (const k of ["transport", "host", "port", "branch", "received", "ttl"] as const) {
      assertEquals(fast[k], g[k], `${v}: ${k}`);
    }
  }
  // The shapes real phones send take the fast path; the odd ones are left to the grammar.
  for (const common of [uris[0], uris[1], uris[4], names[0], names[1], names[3], vias[0], vias[1]]) {
    assert(accepted.includes(common), `fast path declined ${common}`);
  }
  assertEquals(accepted.length, 20, accepted.join("\n"));
  // maddr and ttl in a URI: the grammar's quirks (maddr replaces the host) are left to the grammar.
  assertEquals(fastPaths.uri(uris[3]), undefined);
  for (
    const odd of ["sip:user@256.1.1.1", "sip:user@-bad.example", "sip:user@example.123", "sip:user@example.com:99999"]
  ) {
    assertEquals(fastPaths.uri(odd), undefined, odd);
  }
});
