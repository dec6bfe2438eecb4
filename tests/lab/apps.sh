# SPDX-License-Identifier: GPL-2.0
#
# The lab's applications, sourced by lab.sh: media made once (cached),
# servers started once in S, and session_run, which runs one session of
# the plan from its client address and returns when its time is up.
# Each application is a function named by class and app; docs/lab.md says
# how to add one.
#
# Server addresses: lane L listens on 198.51.100.(10+L) (browsing: .14
# www, .15 static, .16 cdn). Through the VPN the session's tunnel has
# 198.51.100.(129+8L) (server) and .(130+8L) (client) inside, browsing's
# extra origins .(131+8L) and .(132+8L).

SITES=12

# --- media and certificates ------------------------------------------------

media_speech() {	# 48 kHz stereo speech with pauses, 8 minutes
	f=$CACHE/speech-v1.wav
	[ -s "$f" ] && return 0
	mkdir -p "$CACHE/speech.tmp"
	i=0
	for t in "Good morning, can you hear me all right?" \
		 "I wanted to talk about the schedule for the release next week." \
		 "The build is green again, but two tests are still flaky on the small machines." \
		 "Yes, I think we should move the meeting to Thursday afternoon." \
		 "Could you send me the numbers from the last run before lunch?" \
		 "That sounds fine to me. Let us do that." \
		 "Hmm, I am not sure. What did the others say about it?" \
		 "The weather is terrible here today, it has been raining since the morning." \
		 "Right, right. And the second point was the budget for the new servers." \
		 "OK, thank you, talk to you tomorrow. Bye."; do
		espeak-ng -s 150 -w "$CACHE/speech.tmp/$i.wav" "$t" || return 1
		i=$((i + 1))
	done
	$PY - "$CACHE/speech.tmp" "$f.tmp" <<'EOF' || return 1
import random, sys, wave
d, out = sys.argv[1], sys.argv[2]
parts = []
for i in range(10):
    w = wave.open("%s/%d.wav" % (d, i))
    parts.append((w.getframerate(), w.readframes(w.getnframes())))
rate = parts[0][0]
rng = random.Random(1)
frames = bytearray()
while len(frames) < rate * 2 * 480:
    frames += rng.choice(parts)[1]
    frames += b"\0\0" * int(rate * rng.uniform(0.4, 3.0))	# a pause
o = wave.open(out, "wb"); o.setnchannels(1); o.setsampwidth(2); o.setframerate(rate)
o.writeframes(bytes(frames)); o.close()
EOF
	ffmpeg -loglevel error -y -i "$f.tmp" -ar 48000 -ac 2 "$f.2.wav" &&
		mv "$f.2.wav" "$f" && rm -rf "$f.tmp" "$CACHE/speech.tmp"
	ffmpeg -loglevel error -y -f lavfi -i anullsrc=r=48000:cl=stereo -t 480 \
		"$CACHE/silence-v1.wav"
}

media_video() {	# DASH and HLS ladders, 180 s (quick: 40 s), x264 by ffmpeg
	len=180 preset=veryfast
	# quick: short content, the fastest encoder settings (a cold cache
	# must not push the quick preset past its 3 minutes)
	[ -n "$QUICK" ] && len=40 preset=ultrafast
	src="testsrc2=size=1280x720:rate=25,noise=alls=12:allf=t"
	[ -n "$QUICK" ] && src="testsrc2=size=640x360:rate=25,noise=alls=12:allf=t"
	d=$CACHE/video-v1-$len
	[ -s "$d/dash/manifest.mpd" ] && [ -s "$d/hls/master.m3u8" ] && return 0
	rm -rf "$d"
	mkdir -p "$d/dash" "$d/hls"
	# A moving test scene with noise, so the encoder spends its bits.
	ffmpeg -loglevel error -y -f lavfi -i "$src" -t $len \
		-map 0:v -map 0:v -map 0:v -map 0:v -c:v libx264 -preset $preset \
		-g 50 -keyint_min 50 -sc_threshold 0 \
		-b:v:0 300k -s:v:0 426x240 -b:v:1 800k -s:v:1 640x360 \
		-b:v:2 1600k -s:v:2 960x540 -b:v:3 3000k -s:v:3 1280x720 \
		-f dash -seg_duration 4 -use_template 1 -use_timeline 0 \
		"$d/dash/manifest.mpd" || return 1
	ffmpeg -loglevel error -y -f lavfi -i "$src" -t $len \
		-map 0:v -map 0:v -map 0:v -c:v libx264 -preset $preset \
		-g 50 -keyint_min 50 -sc_threshold 0 \
		-b:v:0 400k -s:v:0 640x360 -b:v:1 1200k -s:v:1 960x540 \
		-b:v:2 2500k -s:v:2 1280x720 \
		-f hls -hls_time 2 -hls_playlist_type vod -master_pl_name master.m3u8 \
		-var_stream_map "v:0 v:1 v:2" -hls_segment_filename "$d/hls/v%v_%03d.ts" \
		"$d/hls/v%v.m3u8" || return 1
}

media_files() {	# bulk files of random bytes (incompressible)
	mkdir -p "$CACHE/files"
	for m in 16 64 $([ -z "$QUICK" ] && echo 4 256 512); do
		[ -s "$CACHE/files/blob-$m" ] && continue
		head -c $((m * 1048576)) /dev/urandom >"$CACHE/files/blob-$m.tmp" &&
			mv "$CACHE/files/blob-$m.tmp" "$CACHE/files/blob-$m"
	done
	if [ ! -s "$CACHE/files/blob-64.torrent" ]; then
		mktorrent -a http://tracker.lab:6969/announce -l 18 \
			-o "$CACHE/files/blob-64.torrent" "$CACHE/files/blob-64" >/dev/null ||
			return 1
	fi
}

media_corpus() {	# the browsing sites' pages (tests/lab/corpus.py)
	[ -d "$CACHE/corpus-v1" ] && return 0
	rm -rf "$CACHE/corpus-v1.tmp"
	$PY "$LAB/corpus.py" "$CACHE/corpus-v1.tmp" 1 &&
		mv "$CACHE/corpus-v1.tmp" "$CACHE/corpus-v1"
}

certs() {	# a lab CA and one server certificate for every lab name and address
	san="DNS:video.lab,DNS:files.lab,DNS:static.lab,DNS:cdn.lab,DNS:tracker.lab,DNS:lab"
	for s in $(seq 0 $((SITES - 1))); do san="$san,DNS:www.site$s.lab"; done
	for i in $(seq 1 199); do san="$san,IP:198.51.100.$i"; done
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=flowpic lab CA" -days 2 -keyout "$WORK/ca.key" \
		-out "$WORK/ca.pem" 2>/dev/null || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=lab" -keyout "$WORK/srv.key" -out "$WORK/srv.csr" 2>/dev/null ||
		return 1
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$san" >"$WORK/srv.ext"
	openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
		-CAcreateserial -days 2 -extfile "$WORK/srv.ext" -out "$WORK/srv.pem" \
		2>/dev/null || return 1
	cp "$WORK/ca.pem" "/etc/netns/$NS_C/ssl/certs/ca-certificates.crt"
	[ -f /etc/ssl/openssl.cnf ] && cp /etc/ssl/openssl.cnf "/etc/netns/$NS_C/ssl/"
	chmod 644 "$WORK/srv.key"
}

# srv LANE [K]: the address the client uses for lane LANE's server (K: the
# K-th origin of browsing, 0..2).
srv() {
	k=${2:-0}
	if [ "$VPN" = 1 ]; then
		case $k in 0) echo 198.51.100.$((129 + 8 * $1)) ;;
		*) echo 198.51.100.$((130 + k + 8 * $1)) ;; esac
	else
		echo 198.51.100.$((10 + $1 + k))
	fi
}

hosts_file() {
	{
		echo "127.0.0.1 localhost"
		echo "$(srv 1) video.lab"
		echo "$(srv 2) files.lab tracker.lab"
		echo "$(srv 3) lab"
		for s in $(seq 0 $((SITES - 1))); do echo "$(srv 4 0) www.site$s.lab"; done
		echo "$(srv 4 1) static.lab"
		echo "$(srv 4 2) cdn.lab"
	} >"/etc/netns/$NS_C/hosts"
	cp "/etc/netns/$NS_C/hosts" "/etc/netns/$NS_S/hosts"
}

# --- servers (in S, on every address) ---------------------------------------

start_nginx() {
	mkdir -p "$WORK/www" "$WORK/nginx" "$WORK/upload"
	ln -sfn "$CACHE/files" "$WORK/www/files.lab"
	[ -n "${VIDEO_DIR:-}" ] && ln -sfn "$VIDEO_DIR" "$WORK/www/video.lab"
	if has browsing; then
		for d in "$CACHE"/corpus-v1/*; do ln -sfn "$d" "$WORK/www/$(basename "$d")"; done
	fi
	cat >"$WORK/nginx.conf" <<EOF
daemon off;
user root;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
	types { text/html html; text/css css; application/javascript js;
		image/jpeg jpg; font/woff2 woff2; application/dash+xml mpd;
		application/vnd.apple.mpegurl m3u8; video/mp2t ts; video/mp4 m4s mp4; }
	default_type application/octet-stream;
	server {
		listen 443 ssl http2 default_server;
		ssl_certificate $WORK/srv.pem;
		ssl_certificate_key $WORK/srv.key;
		root $WORK/www/\$host;
		location /upload/ {
			root $WORK;
			dav_methods PUT;
			client_max_body_size 0;
			create_full_put_path on;
		}
	}
}
EOF
	bg_s nginx -c "$WORK/nginx.conf"
}

start_sshd() {
	mkdir -p /run/sshd "$WORK/ssh"
	ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh/host" || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh/id" || return 1
	cp "$WORK/ssh/id.pub" "$WORK/ssh/authorized_keys"
	cat >"$WORK/ssh/sshd_config" <<EOF
ListenAddress 0.0.0.0
HostKey $WORK/ssh/host
PermitRootLogin yes
AuthorizedKeysFile $WORK/ssh/authorized_keys
PasswordAuthentication no
UsePAM no
StrictModes no
PidFile $WORK/ssh/sshd.pid
Subsystem sftp internal-sftp
EOF
	bg_s /usr/sbin/sshd -D -e -f "$WORK/ssh/sshd_config" 2>"$WORK/ssh/sshd.log"
}

start_vsftpd() {
	mkdir -p "$WORK/ftp/empty"
	cat >"$WORK/ftp/vsftpd.conf" <<EOF
listen=YES
background=NO
anonymous_enable=YES
anon_root=$CACHE/files
local_enable=NO
write_enable=NO
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30099
secure_chroot_dir=$WORK/ftp/empty
ftp_username=ftp
nopriv_user=ftp
seccomp_sandbox=NO
xferlog_enable=NO
EOF
	bg_s vsftpd "$WORK/ftp/vsftpd.conf" >"$WORK/ftp/vsftpd.log" 2>&1
}

start_bittorrent() {	# opentracker and an aria2 seeder
	# Debian's opentracker serves only the info hashes of its whitelist
	aria2c -S "$CACHE/files/blob-64.torrent" |
		sed -n 's/^Info Hash: *\([0-9a-f]\{40\}\)$/\1/p' >"$WORK/bt-whitelist"
	[ -s "$WORK/bt-whitelist" ] || { echo "lab: no info hash in blob-64.torrent" >&2; return 1; }
	bg_s opentracker -i 0.0.0.0 -p 6969 -w "$WORK/bt-whitelist" \
		>"$WORK/opentracker.log" 2>&1
	mkdir -p "$WORK/bt-seed"
	ln -sf "$CACHE/files/blob-64" "$WORK/bt-seed/blob-64"
	bg_s aria2c --dir "$WORK/bt-seed" --seed-ratio=0.0 --check-integrity=true \
		--listen-port=6881 --enable-dht=false --bt-enable-lpd=false \
		--enable-peer-exchange=false --bt-seed-unverified=true \
		--summary-interval=0 --console-log-level=warn \
		"$CACHE/files/blob-64.torrent" >"$WORK/bt-seed.log" 2>&1
}

start_chat() {
	mkdir -p "$WORK/irc" "$WORK/xmpp/data"
	cat >"$WORK/irc/ngircd.conf" <<EOF
[Global]
	Name = irc.lab
	Info = flowpic lab
	Listen = 0.0.0.0
	Ports = 6667
	MotdPhrase = "flowpic lab"
[Limits]
	MaxConnectionsIP = 0
[Options]
	PAM = no
	Ident = no
	DNS = no
[Channel]
	Name = #lab
EOF
	bg_s ngircd -n -f "$WORK/irc/ngircd.conf" >"$WORK/irc/ngircd.log" 2>&1
	cat >"$WORK/xmpp/prosody.cfg.lua" <<EOF
pidfile = "$WORK/xmpp/prosody.pid"
data_path = "$WORK/xmpp/data"
run_as_root = true
daemonize = false
interfaces = { "0.0.0.0" }
c2s_ports = { 5222 }
c2s_require_encryption = true
authentication = "internal_plain"
log = { info = "$WORK/xmpp/prosody.log" }
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "presence", "posix" }
modules_disabled = { "s2s" }
ssl = { key = "$WORK/srv.key", certificate = "$WORK/srv.pem" }
VirtualHost "lab"
EOF
	for u in alice bob; do
		prosodyctl --config "$WORK/xmpp/prosody.cfg.lua" register $u lab labpass \
			>>"$WORK/xmpp/prosodyctl.log" 2>&1 || return 1
	done
	bg_s prosody --config "$WORK/xmpp/prosody.cfg.lua" -F >"$WORK/xmpp/prosody.out" 2>&1
}

# media: what the classes of the run need in the cache, made by one run
# at a time (runs side by side, as make check starts two, wait for the
# first to make it rather than write it twice); the lock is let go before
# any server starts.
media() {
	(
		flock 7 || exit 1
		if has voip; then media_speech || exit 1; fi
		if has video; then media_video || exit 1; fi
		if has file-transfer; then media_files || exit 1; fi
		if has browsing; then media_corpus || exit 1; fi
	) 7>"$CACHE/.media.lock"
}

servers_start() {
	certs || return 1
	hosts_file
	media || return 1
	if has video; then
		VIDEO_DIR=$CACHE/video-v1-$([ -n "$QUICK" ] && echo 40 || echo 180)
	fi
	if has file-transfer; then
		start_sshd || return 1
		start_vsftpd
		start_bittorrent
	fi
	if has video || has file-transfer || has browsing; then
		start_nginx || return 1
	fi
	if has chat; then start_chat || return 1; fi
	sleep 1
	# Every server is up: probe their ports from S itself.
	for p in $(has file-transfer && echo 22 21 6969 6881) \
		 $(has video || has file-transfer || has browsing && echo 443) \
		 $(has chat && echo 6667 5222); do
		ok=
		for i in $(seq 50); do
			in_s ss -Htln "sport = :$p" | grep -q LISTEN && { ok=1; break; }
			sleep 0.2
		done
		[ -n "$ok" ] || { log "no server on port $p"; return 1; }
	done
}

# --- sessions ----------------------------------------------------------------

# ok_timeout RC: a program stopped by timeout at the end of its session
# ran its time (124), which is success here.
ok_timeout() { [ "$1" = 0 ] || [ "$1" = 124 ]; }

voip_baresip() {
	codec=opus/48000/2 dtx=no
	case $mode in
	opus-dtx) dtx=yes ;;
	pcmu) codec=PCMU/8000/1 ;;
	g722) codec=G722/16000/1 ;;
	esac
	ptime=$(param "$id" ptime_ms)
	talk=$(param "$id" talk)
	for side in a b; do
		mkdir -p "$WORK/bs$id/$side"
		if [ $side = a ]; then ip=$LOCAL_IP src=$CACHE/speech-v1.wav
		else ip=$SRV
			src=$CACHE/speech-v1.wav
			[ "$talk" = one-way ] && src=$CACHE/silence-v1.wav
		fi
		cat >"$WORK/bs$id/$side/config" <<EOF
module_path /usr/lib/baresip/modules
sip_listen $ip:5060
net_interface $ip
audio_player aubridge,nil
audio_source aufile,$src
audio_alert aubridge,nil
ausrc_srate 48000
ausrc_channels 2
auplay_srate 48000
auplay_channels 2
rtp_ports 10000-10099
opus_dtx $dtx
module aufile.so
module aubridge.so
module g711.so
module g722.so
module opus.so
module_app account.so
module_app menu.so
EOF
		echo "<sip:$side@$ip>;regint=0;answermode=auto;audio_codecs=$codec;ptime=$ptime" \
			>"$WORK/bs$id/$side/accounts"
	done
	timeout $((dur + 10)) ip netns exec "$NS_S" baresip -f "$WORK/bs$id/b" \
		>"$WORK/bs$id/b.log" 2>&1 &
	callee=$!
	sleep 1
	timeout $((dur + 5)) ip netns exec "$NS_C" baresip -f "$WORK/bs$id/a" \
		-e "/dial sip:b@$SRV" -t "$dur" >"$WORK/bs$id/a.log" 2>&1
	rc=$?
	kill $callee 2>/dev/null
	wait $callee 2>/dev/null
	grep -a -m1 'Call established' "$WORK/bs$id/a.log" || return 1
	ok_timeout $rc
}

# rtp_sink PORT: a receiver in each namespace for a session's RTP.
rtp_sink() {
	for ns in "$NS_S" "$NS_C"; do
		timeout $((dur + 2)) ip netns exec "$ns" gst-launch-1.0 -q \
			udpsrc port="$1" ! fakesink >/dev/null 2>&1 &
	done
	sleep 0.5
}

voip_gst() {	# GStreamer Opus/RTP both ways, RTP 5004/5006
	rtp_sink 5006
	timeout "$dur" ip netns exec "$NS_S" gst-launch-1.0 -q \
		filesrc location="$CACHE/speech-v1.wav" ! wavparse ! audioconvert ! \
		audioresample ! opusenc bitrate=32000 frame-size=20 ! rtpopuspay ! \
		udpsink host="$LOCAL_IP" port=5006 bind-port=5004 &
	down=$!
	timeout "$dur" ip netns exec "$NS_C" gst-launch-1.0 -q \
		filesrc location="$CACHE/speech-v1.wav" ! wavparse ! audioconvert ! \
		audioresample ! opusenc bitrate=32000 frame-size=20 ! rtpopuspay ! \
		udpsink host="$SRV" port=5006 bind-port=5004 bind-address="$LOCAL_IP"
	rc=$?
	wait $down
	ok_timeout $rc
}

video_adaptive() {	# a real player that fetches by its buffer
	case $mode in
	dash) uri=https://video.lab/dash/manifest.mpd ;;
	*) uri=https://video.lab/hls/master.m3u8 ;;
	esac
	timeout "$dur" ip netns exec "$NS_C" gst-launch-1.0 -q \
		playbin uri="$uri" video-sink="fakesink sync=true" \
		audio-sink="fakesink sync=true"
	ok_timeout $?
}

video_rtp() {	# a live video call: both ways, RTP 5008/5010
	fps=$(param "$id" fps) kbit=$(param "$id" kbit) size=$(param "$id" size)
	w=${size%x*} h=${size#*x}
	case $mode in
	vp8) enc="vp8enc target-bitrate=$((kbit * 1000)) deadline=1 cpu-used=8 keyframe-max-dist=$((fps * 4)) ! rtpvp8pay" ;;
	*) enc="x264enc bitrate=$kbit tune=zerolatency speed-preset=ultrafast key-int-max=$((fps * 4)) ! rtph264pay config-interval=1" ;;
	esac
	rtp_sink 5010
	src="videotestsrc is-live=true pattern=ball ! video/x-raw,width=$w,height=$h,framerate=$fps/1 ! videoconvert ! queue"
	timeout "$dur" ip netns exec "$NS_S" gst-launch-1.0 -q $src ! $enc ! \
		udpsink host="$LOCAL_IP" port=5010 bind-port=5008 bind-address="$SRV" &
	down=$!
	timeout "$dur" ip netns exec "$NS_C" gst-launch-1.0 -q $src ! $enc ! \
		udpsink host="$SRV" port=5010 bind-port=5008 bind-address="$LOCAL_IP"
	rc=$?
	wait $down
	ok_timeout $rc
}

SSH_OPTS="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
ft_ssh() {
	mb=$(param "$id" mbytes)
	mkdir -p "$WORK/ft$id"
	case $app in
	scp)
		timeout "$dur" ip netns exec "$NS_C" scp $SSH_OPTS -i "$WORK/ssh/id" \
			"root@$SRV:$CACHE/files/blob-$mb" "$WORK/ft$id/" ;;
	sftp)
		printf 'put %s %s\n' "$CACHE/files/blob-$mb" "$WORK/upload/sftp-$id" \
			>"$WORK/ft$id/batch"
		timeout "$dur" ip netns exec "$NS_C" sftp $SSH_OPTS -i "$WORK/ssh/id" \
			-b "$WORK/ft$id/batch" "root@$SRV" ;;
	rsync)
		timeout "$dur" ip netns exec "$NS_C" rsync -a \
			-e "ssh $SSH_OPTS -i $WORK/ssh/id" \
			"root@$SRV:$CACHE/files/blob-$mb" "$WORK/ft$id/" ;;
	esac
	rc=$?
	rm -rf "$WORK/ft$id" "$WORK/upload/sftp-$id"
	ok_timeout $rc
}

ft_curl() {
	mb=$(param "$id" mbytes)
	case $mode in
	download)
		timeout "$dur" ip netns exec "$NS_C" curl -sS --fail -o /dev/null \
			--resolve "files.lab:443:$SRV" "https://files.lab/blob-$mb" ;;
	limited)
		# a download the client holds to a rate (a download manager,
		# a background update): curl pauses reading, so the sender
		# runs in bursts whenever the window opens again
		timeout "$dur" ip netns exec "$NS_C" curl -sS --fail -o /dev/null \
			--limit-rate "$(param "$id" limit_kbyte_s)k" \
			--resolve "files.lab:443:$SRV" "https://files.lab/blob-$mb" ;;
	*)
		timeout "$dur" ip netns exec "$NS_C" curl -sS --fail -o /dev/null \
			--resolve "files.lab:443:$SRV" -T "$CACHE/files/blob-$mb" \
			"https://files.lab/upload/curl-$id" ;;
	esac
	rc=$?
	rm -f "$WORK/upload/curl-$id"
	ok_timeout $rc
}

ft_ftp() {
	mb=$(param "$id" mbytes)
	timeout "$dur" ip netns exec "$NS_C" lftp -e \
		"set net:timeout 10; set net:max-retries 2; set xfer:clobber on; get blob-$mb -o /dev/null; bye" \
		"ftp://anonymous:lab@$SRV"
	ok_timeout $?
}

ft_bittorrent() {
	mkdir -p "$WORK/bt$id"
	timeout "$dur" ip netns exec "$NS_C" aria2c --dir "$WORK/bt$id" \
		--listen-port=$((6882 + id % 100)) --enable-dht=false \
		--bt-enable-lpd=false --enable-peer-exchange=false --seed-time=0 \
		--summary-interval=0 --console-log-level=warn --file-allocation=none \
		"$CACHE/files/blob-64.torrent"
	rc=$?
	# no byte from the seeder (the tracker refused, no peer): a failure,
	# not a transfer that ran out of time
	got=$(du -sk "$WORK/bt$id" 2>/dev/null | cut -f1)
	echo "bittorrent: ${got:-0} kB received"
	rm -rf "$WORK/bt$id"
	[ "${got:-0}" -gt 64 ] && ok_timeout $rc
}

chat_run() {
	gap=$(param "$id" gap_s_exp_mean)
	seed=$(param "$id" seed)
	set -- --server "$SRV" --seconds "$dur" --seed "$seed" --gap "$gap" \
		--file-prob "$(param "$id" file_prob)"
	timeout $((dur + 3)) ip netns exec "$NS_C" $PY "$LAB/chat.py" \
		$([ "$app" = irc ] && echo irc || echo xmpp) "$@"
	ok_timeout $?	# slixmpp may linger in its goodbye
}

# Browsing as a browser does it over HTTP/1.1 with keep-alive: a page,
# then its style sheets, scripts, fonts and images over a few persistent
# connections per origin (www.siteN.lab, static.lab, cdn.lab), reading
# for a while, then the next page over the same connections. Each
# connection thus carries many page loads with reading pauses between.
browse_keepalive() {
	seed=$(param "$id" seed)
	# bounded like every application: nothing of it may outlive the
	# session (through the VPN, its tunnel goes down right after)
	timeout "$dur" ip netns exec "$NS_C" $PY - "$seed" "$dur" \
		"$(param "$id" start_site)" "$(param "$id" think_s)" \
		"$(srv 4 0)" "$(srv 4 1)" "$(srv 4 2)" <<'EOF'
import http.client, random, re, socket, ssl, sys, threading, time
seed, dur, site, think, www, static, cdn = sys.argv[1:8]
rng = random.Random(int(seed))
lo, hi = map(float, think.split())
deadline = time.monotonic() + float(dur)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
SLOTS = 4	# persistent connections per origin, as browsers keep
pools = {}


def addr(host):
    return cdn if host == "cdn.lab" else static if host == "static.lab" else www


class Conn(http.client.HTTPSConnection):
    """SNI and Host by name, the socket to the lab's address."""
    def connect(self):
        self.sock = ctx.wrap_socket(socket.create_connection(
            (addr(self.host), 443), self.timeout), server_hostname=self.host)


def get(host, slot, path):
    key = (host, slot)
    for _ in range(2):
        c = pools.get(key)
        if c is None:
            c = pools[key] = Conn(host, 443, context=ctx, timeout=15)
        try:
            c.request("GET", path)
            return c.getresponse().read()
        except (OSError, http.client.HTTPException):
            c.close()
            pools[key] = None
    return b""


def split(url):
    m = re.match(r"https://([^/]+)(/.*)", url)
    return (m.group(1), m.group(2)) if m else (None, None)


def fetch_all(urls):
    """Each origin's resources over its connections, one thread each."""
    by, results = {}, {}
    for i, u in enumerate(urls):
        h, p = split(u)
        if h:
            by.setdefault((h, i % SLOTS), []).append(p)

    def run(key, paths):
        results[key] = [get(key[0], key[1], p) for p in paths]
    ts = [threading.Thread(target=run, args=kv) for kv in by.items()]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return [b for v in results.values() for b in v]


url = "https://www.site%s.lab/p0.html" % site
pages = 0
while time.monotonic() < deadline - 3:
    h, p = split(url)
    html = get(h, 0, p).decode("latin-1")
    res = re.findall(r'(?:src|href)="(https://[^"]+)"', html)
    links = [u for u in res if u.endswith(".html")]
    sub = [u for u in res if not u.endswith(".html")]
    css = fetch_all(sub)
    fonts = [u for b in css
             for u in re.findall(r'url\((https://[^)]+)\)', b.decode("latin-1"))]
    fetch_all(fonts)
    pages += 1
    print("page %d %s: %d resources, %d fonts" % (pages, url, len(sub), len(fonts)),
          flush=True)
    url = rng.choice(links) if links else \
        "https://www.site%d.lab/p0.html" % rng.randrange(12)
    # every www.siteN.lab is one address: another site is another host
    # name, and a browser opens new connections to it
    if split(url)[0] != h:
        for k in [k for k in pools if k[0] == h]:
            if pools[k]:
                pools[k].close()
            del pools[k]
    time.sleep(min(rng.uniform(lo, hi), max(0, deadline - time.monotonic())))
for c in pools.values():	# closed here, while the path is up
    if c:
        c.close()
sys.exit(0 if pages else 1)
EOF
	ok_timeout $?
}

browse() {
	seed=$(param "$id" seed)
	$PY - "$seed" "$dur" "$(param "$id" start_site)" "$(param "$id" think_s)" \
		"$mode" "$WORK/br$id" "$(srv 4 0)" "$(srv 4 1)" "$(srv 4 2)" "$NS_C" <<'EOF'
import os, random, re, subprocess, sys, time
seed, dur, site, think, mode, tmp, www, static, cdn, ns = sys.argv[1:11]
rng = random.Random(int(seed))
lo, hi = map(float, think.split())
deadline = time.monotonic() + float(dur)
rules = ",".join(["MAP www.site%d.lab %s" % (s, www) for s in range(12)] +
                 ["MAP static.lab " + static, "MAP cdn.lab " + cdn])
url = "https://www.site%s.lab/p0.html" % site
pages = 0
while time.monotonic() < deadline - 3:
    args = ["ip", "netns", "exec", ns, "chromium", "--headless", "--no-sandbox",
            "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--ignore-certificate-errors",
            "--user-data-dir=%s/profile%d" % (tmp, pages),
            "--host-resolver-rules=" + rules, "--virtual-time-budget=5000",
            "--dump-dom", url]
    if mode == "h1":
        args.insert(5, "--disable-http2")
    left = max(1, deadline - time.monotonic())
    try:
        dom = subprocess.run(args, capture_output=True, timeout=min(30, left)).stdout.decode(errors="replace")
    except subprocess.TimeoutExpired:
        break
    subprocess.run(["rm", "-rf", "%s/profile%d" % (tmp, pages)])
    pages += 1
    links = re.findall(r'href="(https://[^"]+\.html)"', dom)
    print("page %d %s: %d bytes of DOM, %d links" % (pages, url, len(dom), len(links)), flush=True)
    # An empty page (chromium gave up within its budget): start over
    # at another site's front page, as a user would.
    url = rng.choice(links) if links else \
        "https://www.site%d.lab/p0.html" % rng.randrange(12)
    time.sleep(min(rng.uniform(lo, hi), max(0, deadline - time.monotonic())))
sys.exit(0 if pages else 1)
EOF
}

# vpn_up: an OpenVPN tunnel (static key, UDP) for this session only, from
# CLIENT_IP:(20000+id) to the lane's server on 1194+lane; SRV becomes the
# server's address inside the tunnel.
vpn_up() {
	[ -s "$WORK/vpn.key" ] || openvpn --genkey secret "$WORK/vpn.key" >/dev/null 2>&1 ||
		return 1
	outer=198.51.100.$((10 + lane))
	si=198.51.100.$((129 + 8 * lane)) ci=198.51.100.$((130 + 8 * lane))
	common="--dev vpn$lane --dev-type tun --proto udp --secret $WORK/vpn.key
		--cipher AES-256-CBC --auth SHA256 --tun-mtu 1400 --mssfix 1360
		--ping 10 --verb 3 --data-ciphers AES-256-CBC"
	ip netns exec "$NS_S" openvpn $common --local "$outer" --lport $((1194 + lane)) \
		--ifconfig "$si" "$ci" >"$WORK/vpn$id-s.log" 2>&1 &
	VPN_S=$!
	ip netns exec "$NS_C" openvpn $common --local "$CLIENT_IP" --lport $((20000 + id)) \
		--remote "$outer" $((1194 + lane)) --ifconfig "$ci" "$si" \
		>"$WORK/vpn$id-c.log" 2>&1 &
	VPN_C=$!
	# Up to 60 s: OpenVPN's start-up is slow on a loaded host.
	for i in $(seq 600); do
		grep -q 'Initialization Sequence Completed' "$WORK/vpn$id-c.log" &&
			grep -q 'Initialization Sequence Completed' "$WORK/vpn$id-s.log" && break
		sleep 0.1
	done
	grep -q 'Initialization Sequence Completed' "$WORK/vpn$id-c.log" || {
		echo "vpn: the tunnel did not come up in 60 s; client:"
		cat "$WORK/vpn$id-c.log"
		echo "vpn: server:"
		cat "$WORK/vpn$id-s.log"
		return 1
	}
	if [ "$cls" = browsing ]; then
		for k in 1 2; do
			a=198.51.100.$((130 + k + 8 * lane))
			in_s ip addr add "$a/32" dev vpn$lane
			in_c ip route replace "$a/32" dev vpn$lane
		done
	fi
	SRV=$si LOCAL_IP=$ci
	in_c ping -c 1 -W 2 "$SRV" >/dev/null || { echo "vpn: no path inside"; return 1; }
}

vpn_down() {
	# A second for what the session's sockets still send as they close
	# (a killed program's FINs) to go through the tunnel, not around it.
	sleep 1
	kill $VPN_C $VPN_S 2>/dev/null
	wait $VPN_C $VPN_S 2>/dev/null
}

# session_run ID CLASS APP MODE SECONDS CLIENT SERVER
session_run() {
	id=$1 cls=$2 app=$3 mode=$4 dur=$5 CLIENT_IP=$6 SRV=$7
	# LOCAL_IP: the client's own address as its programs see it (inside
	# the tunnel: the tunnel's).
	LOCAL_IP=$CLIENT_IP
	lane=$(( ${SRV##*.} - 10 ))
	if [ "$VPN" = 1 ]; then
		in_c ip route replace "$SRV/32" via 192.0.2.1 src "$CLIENT_IP"
		vpn_up || { vpn_down; return 1; }
		trap vpn_down EXIT
	else
		n=0
		[ "$cls" = browsing ] && n=2
		for k in $(seq 0 $n); do
			in_c ip route replace "198.51.100.$((10 + lane + k))/32" via 192.0.2.1 \
				src "$CLIENT_IP"
		done
	fi
	case $app in
	baresip) voip_baresip ;;
	gst-rtp) voip_gst ;;
	gst-dash|gst-hls) video_adaptive ;;
	gst-rtp-video) video_rtp ;;
	scp|sftp|rsync) ft_ssh ;;
	curl) ft_curl ;;
	lftp) ft_ftp ;;
	aria2) ft_bittorrent ;;
	slixmpp|irc) chat_run ;;
	chromium) browse ;;
	python) browse_keepalive ;;
	*) echo "no such application: $app"; return 1 ;;
	esac
}
