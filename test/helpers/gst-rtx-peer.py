#!/usr/bin/python3
"""
A GStreamer peer for NACK/RTX interop tests (RFC 4585 generic NACK, RFC 4588 RTX, SSRC-multiplexed).

gst-launch-1.0 cannot attach rtprtxsend/rtprtxreceive to rtpbin: rtpbin asks for them through its
request-aux-sender/request-aux-receiver signals, so this small program builds the pipeline itself.

  send: audiotestsrc -> L16 (S16BE, rtpL16pay) -> rtpbin [aux sender: rtprtxsend] -> udpsink
        RTCP both ways on one socket: NACKs in, reports out.
  recv: udpsrc -> rtpbin [aux receiver: rtprtxreceive] -> rtpjitterbuffer (do-retransmission)
        -> rtpL16depay -> wavenc -> filesink; RTCP (with the NACKs) out on the socket it listens on.

Each port is bound by this program (port 0) on one socket used both to receive and to send, so a
peer that latches onto the source address (symmetric RTP, RFC 4961) answers where we listen.

Prints one line `READY {"rtpPort": .., "rtcpPort": ..}` once the pipeline starts (the sockets are
bound before: what arrives earlier waits in them), and at the end one line
`STATS {...}` with the RTX elements' and the jitter buffer's counters. Ends after --seconds, or on
SIGINT/SIGTERM: the receiver sends EOS first so the WAV file is finalised.

Needs python3-gi, gir1.2-gstreamer-1.0, gir1.2-gst-plugins-base-1.0 and gstreamer1.0-plugins-good.
"""
import argparse
import json
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib, Gst  # noqa: E402

# RFC 4585 early feedback needs the AVPF profile in rtpsession (with AVP a NACK waits for the
# next regular report); the SDP that stands for this peer still says RTP/AVP with a=rtcp-fb.
RTP_PROFILE = "avpf"


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["send", "recv"])
    ap.add_argument("--host", default="127.0.0.1", help="local address to bind")
    ap.add_argument("--rtp-dest", type=int, default=0, help="send: where RTP (and RTX) goes")
    ap.add_argument("--rtcp-dest", type=int, required=True, help="where our RTCP goes")
    ap.add_argument("--pt", type=int, default=97, help="L16 payload type")
    ap.add_argument("--rtx-pt", type=int, default=99, help="RTX payload type (apt = --pt)")
    ap.add_argument("--rate", type=int, default=48000)
    ap.add_argument("--channels", type=int, default=2)
    ap.add_argument("--ptime-ms", type=int, default=5)
    ap.add_argument("--freq", type=float, default=440.0)
    ap.add_argument("--volume", type=float, default=0.25, help="sine amplitude (0.25 = -12 dBFS peak)")
    ap.add_argument("--latency-ms", type=int, default=200, help="recv: jitter buffer latency")
    ap.add_argument("--out", default="", help="recv: WAV file to write")
    ap.add_argument("--seconds", type=float, default=30.0, help="stop after this long at most")
    ap.add_argument("--rtcp-min-interval-ms", type=int, default=100, help="regular RTCP interval floor (RFC 3550 §6.2)")
    return ap.parse_args()


def bound_socket(host):
    sock = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
    sock.bind(Gio.InetSocketAddress.new_from_string(host, 0), False)
    return sock, sock.get_local_address().get_port()


def make(factory, **props):
    el = Gst.ElementFactory.make(factory, None)
    if el is None:
        raise RuntimeError(f"GStreamer element {factory} is not installed")
    for k, v in props.items():
        el.set_property(k.replace("_", "-"), v)
    return el


def structure(text):
    s, _end = Gst.Structure.from_string(text)
    if s is None:
        raise RuntimeError(f"bad structure {text}")
    return s


def pt_map(args):
    """Original payload type -> RTX payload type (both elements read it this way round)."""
    return structure(f"application/x-rtp-pt-map,{args.pt}=(uint){args.rtx_pt}")


def wrap_aux(element, session):
    """rtpbin wants a bin with pads named src_<session> and sink_<session>."""
    b = Gst.Bin.new(None)
    b.add(element)
    b.add_pad(Gst.GhostPad.new(f"src_{session}", element.get_static_pad("src")))
    b.add_pad(Gst.GhostPad.new(f"sink_{session}", element.get_static_pad("sink")))
    return b


def caps_for(args, pt):
    if pt == args.rtx_pt:
        return Gst.Caps.from_string(
            f"application/x-rtp,media=audio,clock-rate={args.rate},encoding-name=RTX,payload={pt},apt={args.pt}"
        )
    return Gst.Caps.from_string(
        f"application/x-rtp,media=audio,clock-rate={args.rate},encoding-name=L16,encoding-params=(string){args.channels},"
        f"channels={args.channels},payload={pt}"
    )


def add_all(pipe, *els):
    for e in els:
        pipe.add(e)


def link_chain(*els):
    for a, b in zip(els, els[1:]):
        if not a.link(b):
            raise RuntimeError(f"cannot link {a.get_name()} to {b.get_name()}")


class Peer:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.pipe = Gst.Pipeline.new(None)
        self.rtpbin = make("rtpbin", latency=args.latency_ms)
        Gst.util_set_object_arg(self.rtpbin, "rtp-profile", RTP_PROFILE)
        self.pipe.add(self.rtpbin)
        self.rtx = None
        self.jitterbuffers = []
        self.rtp_sock, self.rtp_port = bound_socket(args.host)
        self.rtcp_sock, self.rtcp_port = bound_socket(args.host)
        self.rtpbin.connect("request-pt-map", lambda _bin, _session, pt: caps_for(args, pt))
        self.rtpbin.connect("new-jitterbuffer", lambda _bin, jb, _session, _ssrc: self.jitterbuffers.append(jb))
        self.stopping = False
        self.finished = False
        self.exit_code = 0
        self._build_rtcp()
        if args.mode == "send":
            self._build_send()
        else:
            self._build_recv()
        # RFC 4585 §3.5.2 lets one early RTCP packet through per regular interval; NACKs beyond it
        # wait for the next regular report. rtpsession derives that interval from the session
        # bandwidth (RFC 3550 §6.2: 5 % for RTCP), which it under-estimates on a receive-only
        # session, and floors it at 5 s: give it the real media bandwidth and a lower floor, or
        # most NACKs leave after their packet's playout time.
        session = self.rtpbin.emit("get-session", 0)
        session.set_property("bandwidth", float(args.rate * args.channels * 16))
        session.set_property("rtcp-min-interval", args.rtcp_min_interval_ms * Gst.MSECOND)

    def _build_rtcp(self):
        a = self.args
        rx = make("udpsrc", socket=self.rtcp_sock, close_socket=False, caps=Gst.Caps.from_string("application/x-rtcp"))
        tx = make("udpsink", socket=self.rtcp_sock, close_socket=False, host=a.host, port=a.rtcp_dest, sync=False, **{"async": False})
        add_all(self.pipe, rx, tx)
        if not rx.link_pads("src", self.rtpbin, "recv_rtcp_sink_0"):
            raise RuntimeError("cannot link the RTCP source")
        if not self.rtpbin.link_pads("send_rtcp_src_0", tx, "sink"):
            raise RuntimeError("cannot link the RTCP sink")

    def _build_send(self):
        a = self.args
        if a.rtp_dest <= 0:
            raise SystemExit("send needs --rtp-dest")

        def aux_sender(_bin, session):
            self.rtx = make("rtprtxsend", payload_type_map=pt_map(a), max_size_time=1000)
            self.rtx.set_property("clock-rate-map", structure(f"application/x-rtp-clock-rate-map,{a.pt}=(uint){a.rate}"))
            return wrap_aux(self.rtx, session)

        self.rtpbin.connect("request-aux-sender", aux_sender)
        ptime_ns = a.ptime_ms * Gst.MSECOND
        src = make("audiotestsrc", is_live=True, wave="sine", freq=a.freq, volume=a.volume, samplesperbuffer=a.rate * a.ptime_ms // 1000)
        conv = make("audioconvert")
        caps = make("capsfilter", caps=Gst.Caps.from_string(f"audio/x-raw,format=S16BE,rate={a.rate},channels={a.channels}"))
        pay = make("rtpL16pay", pt=a.pt, min_ptime=ptime_ns, max_ptime=ptime_ns)
        sink = make("udpsink", socket=self.rtp_sock, close_socket=False, host=a.host, port=a.rtp_dest, sync=False, **{"async": False})
        add_all(self.pipe, src, conv, caps, pay, sink)
        link_chain(src, conv, caps, pay)
        if not pay.link_pads("src", self.rtpbin, "send_rtp_sink_0"):
            raise RuntimeError("cannot link the payloader to rtpbin")
        if not self.rtpbin.link_pads("send_rtp_src_0", sink, "sink"):
            raise RuntimeError("cannot link rtpbin to the RTP sink")

    def _build_recv(self):
        a = self.args
        if not a.out:
            raise SystemExit("recv needs --out")
        self.rtpbin.set_property("do-retransmission", True)

        def aux_receiver(_bin, session):
            self.rtx = make("rtprtxreceive", payload_type_map=pt_map(a))
            return wrap_aux(self.rtx, session)

        self.rtpbin.connect("request-aux-receiver", aux_receiver)
        src = make("udpsrc", socket=self.rtp_sock, close_socket=False, caps=caps_for(a, a.pt))
        self.pipe.add(src)
        if not src.link_pads("src", self.rtpbin, "recv_rtp_sink_0"):
            raise RuntimeError("cannot link the RTP source to rtpbin")
        self.depay = make("rtpL16depay")
        conv = make("audioconvert")
        caps = make("capsfilter", caps=Gst.Caps.from_string("audio/x-raw,format=S16LE"))
        wav = make("wavenc")
        sink = make("filesink", location=a.out, **{"async": False})
        add_all(self.pipe, self.depay, conv, caps, wav, sink)
        link_chain(self.depay, conv, caps, wav, sink)

        def pad_added(_bin, pad):
            name = pad.get_name()
            # recv_rtp_src_<session>_<ssrc>_<pt>: the first stream of the primary payload type.
            if not name.startswith("recv_rtp_src_") or not name.endswith(f"_{a.pt}"):
                return
            sinkpad = self.depay.get_static_pad("sink")
            if not sinkpad.is_linked():
                pad.link(sinkpad)

        self.rtpbin.connect("pad-added", pad_added)

    def stats(self):
        out = {"mode": self.args.mode}
        if self.rtx is not None:
            for prop in ("num-rtx-requests", "num-rtx-packets", "num-rtx-assoc-packets"):
                if self.rtx.find_property(prop) is not None:
                    out[prop] = self.rtx.get_property(prop)
        for i, jb in enumerate(self.jitterbuffers):
            s = jb.get_property("stats")
            out[f"jitterbuffer{i}"] = {k: s.get_value(k) for k in ("num-pushed", "num-lost", "num-late", "num-duplicates", "rtx-count", "rtx-success-count") if s.has_field(k)}
        return out

    def on_message(self, _bus, msg):
        t = msg.type
        if t == Gst.MessageType.EOS:
            self.finish()
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print(f"ERROR {err.message} {dbg}", file=sys.stderr, flush=True)
            self.exit_code = 1
            self.finish()
        return True

    def stop(self):
        """Asked to stop: the receiver drains (EOS finalises the WAV), the sender just ends."""
        if self.stopping:
            return False
        self.stopping = True
        if self.args.mode == "recv":
            self.pipe.send_event(Gst.Event.new_eos())
            GLib.timeout_add(3000, self.finish)
        else:
            self.finish()
        return False

    def finish(self):
        if self.finished:
            return False
        self.finished = True
        print("STATS " + json.dumps(self.stats()), flush=True)
        self.pipe.set_state(Gst.State.NULL)
        self.loop.quit()
        return False

    def run(self):
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)
        for sig in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, self.stop)
        GLib.timeout_add(int(self.args.seconds * 1000), self.stop)
        if self.pipe.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            print("ERROR the pipeline does not start", file=sys.stderr, flush=True)
            return 1
        # The sockets are bound already: what arrives from now on waits in them.
        print("READY " + json.dumps({"rtpPort": self.rtp_port, "rtcpPort": self.rtcp_port}), flush=True)
        self.loop.run()
        return self.exit_code


def main():
    Gst.init(None)
    return Peer(parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
