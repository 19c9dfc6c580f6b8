. "$(dirname "$0")/watch_lib.sh"
start_fakeapi --bookmark-interval 1
ctl "service?name=web&ip=10.96.0.10" >/dev/null
start_svcdns_api "http://127.0.0.1:$API_PORT" --log-level debug
sleep 1
ctl close; ctl "service?name=after-drop&ip=10.96.0.30"; sleep 2
cat $LOG; api_log
