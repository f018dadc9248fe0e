#!/usr/bin/env python3
"""Seeds the demo that run.sh prints: the loop the README describes, through the admin API, once.

Each item is looked up by its name first and created only when missing, so a second run.sh changes nothing (the
database under .data/ keeps them; edit or delete them in the ops console). Prints one line per item and, last, the
live code's QR scene as "scene=..." for run.sh's banner.

Usage: seed_demo.py GATEWAY_URL ADMIN_KEY OFFICIAL_ACCOUNT_APPID
"""

import datetime
import json
import sys
import urllib.error
import urllib.request

GATEWAY, KEY, APPID = sys.argv[1:4]


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(GATEWAY + path, data=data, method=method, headers={
        "Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        sys.exit(f"error: {method} {path} answered {e.code}: {e.read().decode(errors='replace')}")


def ensure(path, name, body, what):
    """The id of the item of `path` called `name`, created from `body` when there is none."""
    listed = call("GET", path)
    items = listed.get("items", []) if isinstance(listed, dict) else listed
    for item in items:
        if item.get("name") == name:
            return item["id"], False
    created = call("POST", path, dict(body, name=name))
    print(f"==> demo: added {what} \"{name}\"")
    return created["id"], True


# A group's QR code lasts at most 7 days on WeChat; each run.sh renews the demo group's.
qr_expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%SZ")

ensure("/api/admin/auto-replies", "demo hello", {
    "appId": APPID, "match": "contains", "keywords": ["hello"], "priority": 0, "enabled": True,
    "reply": {"type": "text", "content": "Hello from the demo account! You wrote: {{ message.content }}"}}, "the auto-reply")
ensure("/api/admin/points/rules", "demo follow", {
    "trigger": "subscribe", "points": 100, "appId": APPID, "enabled": True}, "the points rule")
ensure("/api/admin/points/rules", "demo check-in", {
    "trigger": "checkin", "points": 10, "enabled": True}, "the points rule")
ensure("/api/admin/auto-replies", "demo welcome", {
    "appId": APPID, "match": "event", "event": "subscribe", "priority": 0, "enabled": True,
    "reply": {"type": "text", "content":
              "Welcome to the demo, {{ member.nickname | default: 'friend' }}! "
              "{{ member.points.balance }} points are yours: check in daily in the mini-program for more."}},
    "the welcome rule")
store, _ = ensure("/api/admin/stores", "Demo store Jing'an", {
    "city": "Shanghai", "lat": 31.2286, "lng": 121.4480}, "the store")
group_body = {"storeId": store, "capacity": 200, "tags": [], "qrImageUrl": "https://example.com/demo-jingan-group.png",
              "qrExpiresAt": qr_expires, "intro": "Tastings and member offers at {store}: join us!"}
group, created = ensure("/api/admin/groups", "Demo Jing'an fans", group_body, "the group")
if not created:
    call("PUT", f"/api/admin/groups/{group}", dict(group_body, name="Demo Jing'an fans"))
ensure("/api/admin/live-codes", "Demo counter card", {
    "appId": APPID, "code": "demo-counter", "storeId": store, "groupIds": [group]}, "the live code")
ensure("/api/admin/rewards", "demo coffee", {
    "points": 50, "stock": 100, "enabled": True}, "the reward")
print("scene=group:demo-counter")
