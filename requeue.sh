4 diagnostics, 2 lines skipped (invalid-json 2, invalid-utf8 1, unmentioned-item-log 1): `xferlens check` lists them; -v prints them here
#!/bin/sh
# Re-queue the accounts whose latest transfer failed or was never restored.
# Written by xferlens from transfer logs. Every line is a comment or one complete
# command, and each command names its session through its own variable, which
# must be set first ("${VAR:?...}": unset, the shell stops there). So a line
# run alone (grep NAME requeue.sh | sh) is as safe as the whole file. Only names
# a cPanel account can have are written as commands; others are listed at the end.

# ==== Root copies (AccountRemoteRoot) from source10.example.net: 1 account(s) ====
# 1. Create a session for this host only (each source host needs its own):
#      whmapi1 create_remote_root_transfer_session remote_server_type=cpanel host='source10.example.net' user=root password=...
# 2. export SESSION_source10_example_net=<the transfer_session_id it returns>
# 3. Run this block; its last line starts the session.
# delta001 from source10.example.net: 1 attempt(s), last failed in session sourceworkercrashcopy20251128: The transfer process exited unexpectedly (signal 9).
whmapi1 enqueue_transfer_item transfer_session_id="${SESSION_source10_example_net:?not set, see the comments of its block in the script}" module='AccountRemoteRoot' user='delta001' localuser='delta001' size=321983358
whmapi1 start_transfer_session transfer_session_id="${SESSION_source10_example_net:?not set, see the comments of its block in the script}"

# ==== Root copies (AccountRemoteRoot) from source12.example.net: 2 account(s) ====
# 1. Create a session for this host only (each source host needs its own):
#      whmapi1 create_remote_root_transfer_session remote_server_type=cpanel host='source12.example.net' user=root password=...
# 2. export SESSION_source12_example_net=<the transfer_session_id it returns>
# 3. Run this block; its last line starts the session.
# bravo001 from source12.example.net: 1 attempt(s), last pending in session sourceabortcopy20251128: transferred, never restored (session ABORTED)
whmapi1 enqueue_transfer_item transfer_session_id="${SESSION_source12_example_net:?not set, see the comments of its block in the script}" module='AccountRemoteRoot' user='bravo001' localuser='bravo001' size=181254952
# cedar002 from source12.example.net: 1 attempt(s), last failed in session sourceabortcopy20251128: Aborted.
whmapi1 enqueue_transfer_item transfer_session_id="${SESSION_source12_example_net:?not set, see the comments of its block in the script}" module='AccountRemoteRoot' user='cedar002' localuser='cedar002' size=53225746
whmapi1 start_transfer_session transfer_session_id="${SESSION_source12_example_net:?not set, see the comments of its block in the script}"

# ==== Root copies (AccountRemoteRoot) from source13.example.net: 3 account(s) ====
# 1. Create a session for this host only (each source host needs its own):
#      whmapi1 create_remote_root_transfer_session remote_server_type=cpanel host='source13.example.net' user=root password=...
# 2. export SESSION_source13_example_net=<the transfer_session_id it returns>
# 3. Run this block; its last line starts the session.
# cedar000 from source13.example.net: 1 attempt(s), last running in session sourcerunningcopy20251128: never finished (session RUNNING, no new line for 365d 01h)
whmapi1 enqueue_transfer_item transfer_session_id="${SESSION_source13_example_net:?not set, see the comments of its block in the script}" module='AccountRemoteRoot' user='cedar000' localuser='cedar000' size=1640463771
# cedar002 from source13.example.net: 1 attempt(s), last running in session sourcerunningcopy20251128: never finished (session RUNNING, no new line for 365d 01h)
whmapi1 enqueue_transfer_item transfer_session_id="${SESSION_source13_example_net:?not set, see the comments of its block in the script}" module='AccountRemoteRoot' user='cedar002' localuser='cedar002' size=3116468084
# fjord003 from source13.example.net: 1 attempt(s), last running in session sourcerunningcopy20251128: never finished (session RUNNING, no new line for 365d 01h)
whmapi1 enqueue_transfer_item transfer_session_id="${SESSION_source13_example_net:?not set, see the comments of its block in the script}" module='AccountRemoteRoot' user='fjord003' localuser='fjord003' size=445742069
whmapi1 start_transfer_session transfer_session_id="${SESSION_source13_example_net:?not set, see the comments of its block in the script}"

# ==== Root copies (AccountRemoteRoot) from source18.example.net: 3 account(s) ====
# 1. Create a session for this host only (each source host needs its own):
#      whmapi1 create_remote_root_transfer_session remote_server_type=cpanel host='source18.example.net' user=root password=...
# 2. export SESSION_source18_example_net=<the transfer_session_id it returns>
# 3. Run this block; its last line starts the session.
# bravo000 from source18.example.net: 1 attempt(s), last failed in session sourceofflineabortcopy20251128: unfinished when the session ended (ABORTED)
whmapi1 enqueue_transfer_item transfer_session_id="${SESSION_source18_example_net:?not set, see the comments of its block in the script}" module='AccountRemoteRoot' user='bravo000' localuser='bravo000' size=964996677
# cedar002 from source18.example.net: 1 attempt(s), last failed in session sourceofflineabortcopy20251128: Homedir unfinished: unfinished when the session ended (ABORTED)
whmapi1 enqueue_transfer_item transfer_session_id="${SESSION_source18_example_net:?not set, see the comments of its block in the script}" module='AccountRemoteRoot' user='cedar002' localuser='cedar002' size=158723416
# delta003 from source18.example.net: 1 attempt(s), last failed in session sourceofflineabortcopy20251128: unfinished when the session ended (ABORTED)
whmapi1 enqueue_transfer_item transfer_session_id="${SESSION_source18_example_net:?not set, see the comments of its block in the script}" module='AccountRemoteRoot' user='delta003' localuser='delta003' size=200206880
whmapi1 start_transfer_session transfer_session_id="${SESSION_source18_example_net:?not set, see the comments of its block in the script}"

# ==== Root copies (AccountRemoteRoot) from source9.example.net: 3 account(s) ====
# 1. Create a session for this host only (each source host needs its own):
#      whmapi1 create_remote_root_transfer_session remote_server_type=cpanel host='source9.example.net' user=root password=...
# 2. export SESSION_source9_example_net=<the transfer_session_id it returns>
# 3. Run this block; its last line starts the session.
# alpha000 from source9.example.net: 1 attempt(s), last failed in session sourcefailurescopy20251128: Failed to fetch the account archive for "alpha000" from the remote server: Connection reset by peer.
whmapi1 enqueue_transfer_item transfer_session_id="${SESSION_source9_example_net:?not set, see the comments of its block in the script}" module='AccountRemoteRoot' user='alpha000' localuser='alpha000' size=192838372
# cedar002 from source9.example.net: 1 attempt(s), last failed in session sourcefailurescopy20251128: Cron failed: Account restore failed: the user "cedar002" already exists on this server.
whmapi1 enqueue_transfer_item transfer_session_id="${SESSION_source9_example_net:?not set, see the comments of its block in the script}" module='AccountRemoteRoot' user='cedar002' localuser='cedar002' size=810417633
# fjord003 from source9.example.net: 1 attempt(s), last failed in session sourcefailurescopy20251128: Homedir failed: Account restore failed: the user "fjord003" already exists on this server.
whmapi1 enqueue_transfer_item transfer_session_id="${SESSION_source9_example_net:?not set, see the comments of its block in the script}" module='AccountRemoteRoot' user='fjord003' localuser='fjord003' size=371938246
whmapi1 start_transfer_session transfer_session_id="${SESSION_source9_example_net:?not set, see the comments of its block in the script}"
