#!/usr/bin/env python3
"""Sorts the gateway's CPU samples (`perf script` output on stdin) into the push path's stages.

Each sample is charged to the stage of the frame nearest its leaf that names one (the code of ours that asked for the
work: MySqlConnector's parsing under the batch writer is the batch writer's cost, an allocation's GC under the reply
renderer is the renderer's). An await's continuation runs on top of whatever completed it, so the nearest frame of
ours is also the one the continuation belongs to. Samples with no frame of ours fall to the library or runtime part
they are in. Used by bench/webhook.sh (BENCH_PROFILE); it prints a table of stages and the hottest functions.
"""
import collections
import re
import sys

# (stage, pattern on the frame's symbol); the first stage whose pattern matches the nearest frame wins.
STAGES = [
    # A thread put to sleep or woken (the thread pool's semaphores, socket waits): the kernel's scheduler at the leaf.
    ("threads sleeping and waking (scheduler, futex, sched_yield)", re.compile(
        r"^(finish_task_switch|__schedule|schedule|do_sched_yield|__sched_yield|futex_|__futex|_raw_spin_unlock_irq)")),
    ("GC", re.compile(r"gc_heap|GCHeap|WKS::|SVR::|GarbageCollect")),
    ("JIT", re.compile(r"libclrjit|\bCILJit\b|jitNativeCode")),
    ("first stage: open (signature, AES, XML parse)", re.compile(r"WechatInbound|WechatSignature|WechatMessageCrypto|WechatXml|WechatPushParser")),
    ("first stage: replay guard (Redis SET NX)", re.compile(r"ReplayGuard")),
    ("first stage: passive reply (match, member read, render)", re.compile(r"PassiveReplier|ReplyModels|MemberQueries|LiquidTemplates|CompiledReply|ReplyRuleSet|AutoReplyRule|\bFluid\.")),
    ("first stage: record (group commit)", re.compile(r"PushRecorder")),
    ("first stage: endpoint, sealing the answer", re.compile(r"WebhookEndpoints|WebhookMetrics")),
    ("processing stage: claim, resolve, handlers, complete", re.compile(
        r"PushProcessingJob|PushWorkStore|PushHandler|MemberResolver|MemberStore|PointsAwards|PointsLedger|PointsRules|GroupSteering|GroupInvitations|SendOutbox|CustomerServiceWindow|DeadlockRetry")),
    ("send queue: relay, dispatcher", re.compile(r"SendRelay|SendDispatcher|SendStream|AccountRateLimiter")),
    ("metrics, logging", re.compile(r"OpenTelemetry|System\.Diagnostics\.Metrics|Microsoft\.Extensions\.Logging|Prometheus")),
    ("HTTP: Kestrel, ASP.NET Core routing", re.compile(r"Microsoft\.AspNetCore|System\.IO\.Pipelines|System\.Net\.Http")),
    ("Redis client (no caller of ours on the stack)", re.compile(r"StackExchange\.Redis|Pipelines\.Sockets")),
    ("MySQL client (no caller of ours on the stack)", re.compile(r"MySqlConnector|Dapper")),
    ("thread pool, sockets, tasks", re.compile(r"System\.Threading|System\.Net\.Sockets|System\.Runtime\.CompilerServices|ThreadPool")),
]


def samples(lines):
    frames = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if frames:
                yield frames
            frames = []
        elif line.startswith(("\t", " ")):
            parts = line.strip().split(" ", 1)
            frames.append(parts[1] if len(parts) > 1 else parts[0])
        # a header line ("comm pid/tid time: period event:") starts a sample
    if frames:
        yield frames


def symbol(frame):
    return re.sub(r"\s+\([^()]*\)$", "", frame)


def stage_of(frames):
    for frame in frames:
        for name, pattern in STAGES:
            if pattern.search(frame):
                return name
    if all("kernel.kallsyms" in f or "[unknown]" in f for f in frames):
        return "kernel (loopback network, scheduling)"
    return "other runtime and native code"


def main():
    stages = collections.Counter()
    leaves = collections.Counter()
    total = 0
    for frames in samples(sys.stdin):
        total += 1
        stages[stage_of(frames)] += 1
        leaves[symbol(frames[0])[:110]] += 1
    if total == 0:
        print("no samples (was perf allowed to sample the process?)")
        return 1
    print(f"{total} samples of the gateway process (cpu-clock, on CPU only)\n")
    print(f"{'stage':<62} {'samples':>8} {'share':>7}")
    for name, count in stages.most_common():
        print(f"{name:<62} {count:>8} {100 * count / total:>6.1f}%")
    print("\nhottest functions (self time):")
    for name, count in leaves.most_common(25):
        print(f"{100 * count / total:>6.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
