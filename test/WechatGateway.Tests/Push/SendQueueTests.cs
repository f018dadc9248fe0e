using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Tests.Wechat;

namespace WechatGateway.Tests.Push;

public sealed class SendQueueTests : SendQueueTest
{
    [Test]
    public async Task SendAddedTwiceWithOneSourceKeyIsDeliveredOnce()
    {
        var first = await AddAsync(CustomText("o_twice", "hello", "push:1:reply"), CustomText("o_twice", "hello again", "push:1:reply"));
        var retried = await AddAsync(CustomText("o_twice", "hello", "push:1:reply"));

        Assert.That(first[0], Is.Not.Null);
        Assert.That(first[1], Is.Null, "the same source key in the same transaction");
        Assert.That(retried[0], Is.Null, "the same source key in a later transaction (the push processed again)");

        await DeliverAsync();
        var messages = await MessagesToAsync("o_twice");
        Assert.That(messages, Has.Count.EqualTo(1));
        Assert.That(messages[0].GetProperty("body").GetProperty("text").GetProperty("content").GetString(), Is.EqualTo("hello"));
        var row = await RowAsync(first[0]);
        Assert.That((row.Status, row.Attempts, row.SentAt), Is.EqualTo((SendStatus.Sent, 1, row.SentAt)));
        Assert.That(row.SentAt, Is.Not.Null);
    }

    [Test]
    public async Task SendsAddedTogetherAreDeliveredOnceEachAndSkipSourceKeysAddedBefore()
    {
        await AddAsync(CustomText("o_many_1", "first", "push:40:1"));
        await using (var connection = await Service<MySqlConnector.MySqlDataSource>().OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var added = await Service<SendOutbox>().AddAsync(connection, transaction,
                [CustomText("o_many_1", "first again", "push:40:1"), CustomText("o_many_2", "second", "push:40:2"),
                 CustomText("o_many_2", "second again", "push:40:2"), CustomText("o_many_3", "third", "push:40:3")],
                CancellationToken.None);
            Assert.That(added, Is.EqualTo(2), "push:40:1 was added before and push:40:2 twice in the list");
            await transaction.CommitAsync();
        }

        await DeliverAsync();
        var contents = new List<string?>();
        foreach (var openId in new[] { "o_many_1", "o_many_2", "o_many_3" })
        {
            contents.AddRange((await MessagesToAsync(openId)).Select(m => m.GetProperty("body").GetProperty("text").GetProperty("content").GetString()));
        }

        Assert.That(contents, Is.EqualTo(new[] { "first", "second", "third" }));
    }

    [Test]
    public async Task EntryRedeliveredAfterItsSendWasDeliveredIsAcknowledgedWithoutASecondSend()
    {
        var id = (await AddAsync(CustomText("o_redelivered", "once", "push:2:reply")))[0]!.Value;
        await DeliverAsync();

        // A duplicate entry for the same send, as a relay that crashed between its XADD and its commit leaves.
        await Service<SendStream>().AddAsync([id]);
        Assert.That(await Service<SendDispatcher>().RunOnceAsync(CancellationToken.None), Is.EqualTo(1), "the entry is read");

        Assert.That(await MessagesToAsync("o_redelivered"), Has.Count.EqualTo(1));
        Assert.That((await Service<SendStream>().DepthAsync()).Length, Is.Zero, "and acknowledged and removed");
    }

    [Test]
    public async Task TemplateAndSubscribeSendsAreDeliveredAndTheTemplateMsgidRecorded()
    {
        var ids = await AddAsync(
            new OutboundMessage(AppId, "o_kinds", 7, SendKind.Template, Template("o_kinds", "tmpl-order"), "order:1:shipped"),
            new OutboundMessage(AppId, "o_kinds", 7, SendKind.Subscribe, Template("o_kinds", "tmpl-sub"), "order:1:subscribe"));

        await DeliverAsync();

        var apis = (await MessagesToAsync("o_kinds")).Select(m => m.GetProperty("api").GetString()).Order().ToList();
        Assert.That(apis, Is.EqualTo(new[] { "message/subscribe/send", "message/template/send" }));
        Assert.That((await RowAsync(ids[0])).WechatMsgid, Is.Not.Null);
        Assert.That((await RowAsync(ids[1])).Status, Is.EqualTo(SendStatus.Sent));
    }

    [Test]
    public async Task EntryOfAConsumerKilledBetweenReadAndAckIsClaimedByAnotherAndDeliveredOnce()
    {
        await AddAsync(CustomText("o_orphan", "claimed", "push:3:reply"));
        await Service<SendRelay>().RunUntilIdleAsync(CancellationToken.None);

        // A dispatcher reads the entry and dies before sending or acknowledging it.
        var read = await Service<SendStream>().ReadAsync("killed-consumer", 10);
        Assert.That(read, Has.Count.EqualTo(1));
        Assert.That(await Service<SendDispatcher>().RunOnceAsync(CancellationToken.None), Is.Zero, "another consumer's entry is left alone while it may be alive");
        Assert.That(await MessagesToAsync("o_orphan"), Is.Empty);

        await Task.Delay(500); // past SendQueue:ClaimIdleMilliseconds
        Assert.That(await Service<SendDispatcher>().RunOnceAsync(CancellationToken.None), Is.EqualTo(1), "claimed with XAUTOCLAIM");
        await Task.Delay(500);
        await DeliverAsync();

        Assert.That(await MessagesToAsync("o_orphan"), Has.Count.EqualTo(1));
        var depth = await Service<SendStream>().DepthAsync();
        Assert.That((depth.Length, depth.InFlight), Is.EqualTo((0L, 0L)), "nothing left in the stream or its pending list");
    }

    [Test]
    public async Task SendOfAConsumerThatDiedHoldingItsLeaseIsSentByAnotherOnceTheLeaseRunsOut()
    {
        var id = (await AddAsync(CustomText("o_leased", "after the lease", "push:3:lease")))[0];
        await Service<SendRelay>().RunUntilIdleAsync(CancellationToken.None);

        // A dispatcher reads the entry, leases the row (SendQueue:LeaseSeconds is 1 here) and dies before calling WeChat.
        Assert.That(await Service<SendStream>().ReadAsync("killed-consumer", 10), Has.Count.EqualTo(1));
        await Database.ExecuteAsync(
            "UPDATE outbound_send SET lease_until = UTC_TIMESTAMP(6) + INTERVAL 1 SECOND, claim_token = 'dead', attempts = attempts + 1 WHERE id = @id", new { id });

        await Task.Delay(1500); // past the lease and the claim idle time
        await DeliverAsync();

        Assert.That(await MessagesToAsync("o_leased"), Has.Count.EqualTo(1));
        var row = await RowAsync(id);
        Assert.That((row.Status, row.Attempts), Is.EqualTo((SendStatus.Sent, 2)), "the dead consumer's attempt counts");
    }

    [Test]
    public async Task QuotaRefusal45047BacksOffThenDelivers()
    {
        await SimulatorControl.AddFaultAsync("message/custom/send", errcode: 45047, count: 1);
        var id = (await AddAsync(CustomText("o_backoff", "later", "push:4:reply")))[0];

        await DeliverAsync();
        var waiting = await RowAsync(id);
        Assert.That((waiting.Status, waiting.LastErrcode, waiting.Attempts), Is.EqualTo((SendStatus.Pending, (int?)45047, 1)));
        Assert.That(waiting.NextAttemptAt, Is.GreaterThan(DateTime.UtcNow.AddMilliseconds(-50)), "a back-off, not an immediate retry");
        Assert.That(await Service<SendRelay>().RunOnceAsync(CancellationToken.None), Is.Zero, "not queued before its time");

        await DeliverRetriesAsync();
        Assert.That(await MessagesToAsync("o_backoff"), Has.Count.EqualTo(1));
        var sent = await RowAsync(id);
        Assert.That((sent.Status, sent.Attempts), Is.EqualTo((SendStatus.Sent, 2)));
    }

    [Test]
    public async Task OutOfWindow45015IsRecordedAndFallsBackToTheTemplateMessageWithoutARetry()
    {
        await SimulatorControl.AddFaultAsync("message/custom/send", errcode: 45015, count: 10);
        var ids = await AddAsync(
            CustomText("o_late", "too late", "push:5:reply", fallback: Template("o_late")),
            CustomText("o_late_nofallback", "too late", "push:6:reply"));

        await DeliverAsync();
        await DeliverRetriesAsync();

        var messages = await MessagesToAsync("o_late");
        Assert.That(messages.Select(m => m.GetProperty("api").GetString()), Is.EqualTo(new[] { "message/template/send" }));
        var fellBack = await RowAsync(ids[0]);
        Assert.That((fellBack.Status, fellBack.FellBack, fellBack.LastErrcode), Is.EqualTo((SendStatus.Sent, true, (int?)45015)));
        var failed = await RowAsync(ids[1]);
        Assert.That((failed.Status, failed.LastErrcode, failed.Attempts), Is.EqualTo((SendStatus.Failed, (int?)45015, 1)));
        Assert.That(await CallsAsync("message/custom/send"), Is.EqualTo(2), "one call per send: 45015 is final");
        Assert.That(await MessagesToAsync("o_late_nofallback"), Is.Empty);
    }

    [Test]
    public async Task SystemBusyAndAStalledWechatAreRetriedAndDeliveredOnce()
    {
        await SimulatorControl.AddFaultAsync("message/custom/send", errcode: -1, count: 1);
        var busy = (await AddAsync(CustomText("o_busy", "busy", "push:7:reply")))[0];
        await DeliverAsync();
        Assert.That((await RowAsync(busy)).LastErrcode, Is.EqualTo(-1));
        await DeliverRetriesAsync();
        Assert.That(await MessagesToAsync("o_busy"), Has.Count.EqualTo(1));

        // WeChat stalls past the client's 5 s attempt timeout: the attempt is given up and the send retried.
        await SimulatorControl.AddFaultAsync("message/custom/send", delayMs: 6000, count: 1);
        var stalled = (await AddAsync(CustomText("o_stalled", "slow", "push:8:reply")))[0];
        // The retry waits about 100 ms: a slow round (a loaded machine, a cluster's extra round trips) may already take
        // it within DeliverAsync, so the attempts are checked once it is delivered.
        await DeliverAsync();
        await DeliverRetriesAsync();

        Assert.That(await MessagesToAsync("o_stalled"), Has.Count.EqualTo(1));
        var delivered = await RowAsync(stalled);
        Assert.That((delivered.Status, delivered.Attempts), Is.EqualTo((SendStatus.Sent, 2)), "the stalled attempt was given up and retried once");
        Assert.That(delivered.LastError, Does.Contain("in time"));
    }

    [Test]
    public async Task RefusedTokenIsRefreshedAndTheSendDelivered()
    {
        await AddAsync(CustomText("o_token_warm", "warm", "push:9:warm"));
        await DeliverAsync();
        await Simulator.ExpireTokensAsync(AppId);

        await AddAsync(CustomText("o_token", "after expiry", "push:9:reply"));
        await DeliverAsync();

        Assert.That(await MessagesToAsync("o_token"), Has.Count.EqualTo(1));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE status = 'sent' AND attempts = 1"), Is.EqualTo(2), "refreshed within the attempt");
    }

    [Test]
    public async Task SendThatKeepsFailingIsDeadLetteredAfterMaxAttemptsAndReplayDeliversIt()
    {
        await SimulatorControl.AddFaultAsync("message/custom/send", errcode: -1, count: 3);
        var id = (await AddAsync(CustomText("o_dead", "persist", "push:10:reply")))[0]!.Value;

        await DeliverAsync();
        await DeliverRetriesAsync();

        var dead = await RowAsync(id);
        Assert.That((dead.Status, dead.Attempts, dead.LastErrcode), Is.EqualTo((SendStatus.Dead, 3, (int?)-1)), "SendQueue:MaxAttempts is 3 here");
        Assert.That((await Service<SendStream>().DepthAsync()).DeadLetters, Is.EqualTo(1));

        using var viewer = AdminClient(TestAccounts.ViewerKey);
        var list = await viewer.GetFromJsonAsync<JsonElement>("/api/admin/queue/dead");
        Assert.That(list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetUInt64()), Is.EqualTo(new[] { id }));
        Assert.That((await viewer.PostAsync($"/api/admin/queue/dead/{id}/replay", null)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "replay is Admin only");

        using var admin = AdminClient(TestAccounts.AdminKey);
        using var replay = await admin.PostAsync($"/api/admin/queue/dead/{id}/replay", null);
        Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString(), Is.EqualTo(SendStatus.Pending));
        Assert.That((await admin.PostAsync($"/api/admin/queue/dead/{id}/replay", null)).StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "only a dead send is replayed");
        Assert.That((await admin.PostAsync("/api/admin/queue/dead/999999/replay", null)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        await DeliverAsync();
        Assert.That(await MessagesToAsync("o_dead"), Has.Count.EqualTo(1));
        Assert.That((await Service<SendStream>().DepthAsync()).DeadLetters, Is.Zero, "the replayed send's dead letter is gone");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM admin_audit WHERE path LIKE '/api/admin/queue/dead/%'"), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task SixthCustomerServiceMessageWithin48HoursOfAMessageIsRefusedBeforeSending()
    {
        await InteractAsync("o_chatty", InteractionKind.Message, DateTime.UtcNow.AddHours(-47));
        var ids = await AddAsync([.. Enumerable.Range(1, 6).Select(i => CustomText("o_chatty", $"reply {i}", $"push:11:{i}"))]);

        await DeliverAsync();

        Assert.That(await MessagesToAsync("o_chatty"), Has.Count.EqualTo(5));
        Assert.That(await CallsAsync("message/custom/send"), Is.EqualTo(5), "the sixth never reached WeChat");
        var refused = await RowAsync(ids[5]);
        Assert.That((refused.Status, refused.LastErrcode), Is.EqualTo((SendStatus.Failed, (int?)45047)));
        Assert.That(refused.LastError, Does.StartWith("refused before sending"));

        // A new message from the follower opens a new window.
        await InteractAsync("o_chatty", InteractionKind.Message);
        await AddAsync(CustomText("o_chatty", "after the new message", "push:12:1"));
        await DeliverAsync();
        Assert.That(await MessagesToAsync("o_chatty"), Has.Count.EqualTo(6));
    }

    [Test]
    public async Task FourthMessageWithinAMinuteOfAFollowIsRefusedBeforeSendingAndItsFallbackSent()
    {
        await InteractAsync("o_follow", InteractionKind.Follow);
        var ids = await AddAsync([.. Enumerable.Range(1, 4).Select(i => CustomText("o_follow", $"welcome {i}", $"push:13:{i}", fallback: Template("o_follow")))]);

        await DeliverAsync();

        var apis = (await MessagesToAsync("o_follow")).Select(m => m.GetProperty("api").GetString()).ToList();
        Assert.That(apis.Count(a => a == "message/custom/send"), Is.EqualTo(3));
        Assert.That(apis.Count(a => a == "message/template/send"), Is.EqualTo(1), "the fourth goes out as its template message");
        Assert.That(await CallsAsync("message/custom/send"), Is.EqualTo(3));
        var fourth = await RowAsync(ids[3]);
        Assert.That((fourth.Status, fourth.FellBack, fourth.LastErrcode), Is.EqualTo((SendStatus.Sent, true, (int?)45047)));
    }

    [Test]
    public async Task CustomerServiceMessageAfterTheWindowClosedIsRefusedBeforeSending()
    {
        await InteractAsync("o_gone", InteractionKind.Message, DateTime.UtcNow.AddHours(-49));
        var id = (await AddAsync(CustomText("o_gone", "too late", "push:14:reply")))[0];

        await DeliverAsync();

        var row = await RowAsync(id);
        Assert.That((row.Status, row.LastErrcode), Is.EqualTo((SendStatus.Failed, (int?)45015)));
        Assert.That(await CallsAsync("message/custom/send"), Is.Zero);
    }

    [Test]
    public async Task QueueEndpointShowsDepthStatusesAndTheOldestPendingSend()
    {
        await SimulatorControl.AddFaultAsync("message/custom/send", errcode: 40003, count: 1);
        await AddAsync(CustomText("o_admin_failed", "x", "push:15:a"));
        await DeliverAsync();
        await AddAsync(CustomText("o_admin_sent", "x", "push:15:b"));
        await DeliverAsync();
        await AddAsync(CustomText("o_admin_pending", "x", "push:15:c"), CustomText("o_admin_queued", "x", "push:15:d"));
        await Database.ExecuteAsync("UPDATE outbound_send SET status = 'queued' WHERE source_key = 'push:15:d'");
        await Service<SendStream>().AddAsync([await Database.ScalarAsync<ulong>("SELECT id FROM outbound_send WHERE source_key = 'push:15:d'")]);
        await Database.ExecuteAsync("UPDATE outbound_send SET created_at = UTC_TIMESTAMP(6) - INTERVAL 90 SECOND WHERE source_key = 'push:15:c'");

        using var viewer = AdminClient(TestAccounts.ViewerKey);
        var state = await viewer.GetFromJsonAsync<JsonElement>("/api/admin/queue");

        var statuses = state.GetProperty("statuses");
        Assert.That(SendStatus.All.Select(s => statuses.GetProperty(s).GetInt64()), Is.EqualTo(new long[] { 1, 1, 1, 1, 0, 0 }));
        Assert.That(state.GetProperty("streamLength").GetInt64(), Is.EqualTo(1));
        Assert.That(state.GetProperty("redisAvailable").GetBoolean(), Is.True);
        Assert.That(state.GetProperty("oldestPendingSeconds").GetDouble(), Is.InRange(89, 200));
        using var anonymous = TestEnvironment.Gateway.CreateClient();
        Assert.That((await anonymous.GetAsync("/api/admin/queue")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task QueueMetricsCountSendsByApiAndErrcode()
    {
        await SimulatorControl.AddFaultAsync("message/custom/send", errcode: 45047, count: 1);
        await AddAsync(CustomText("o_metrics", "x", "push:16:reply"));
        await DeliverAsync();
        await DeliverRetriesAsync();

        var metrics = await Queue.CreateClient().GetStringAsync("/metrics");
        Assert.That(metrics, Does.Match("wechatgateway_push_sends_total\\{[^}]*api=\"custom\"[^}]*errcode=\"45047\"[^}]*outcome=\"retry\""));
        Assert.That(metrics, Does.Match("wechatgateway_push_sends_total\\{[^}]*api=\"custom\"[^}]*errcode=\"0\"[^}]*outcome=\"sent\""));
        Assert.That(metrics, Does.Contain("wechatgateway_push_send_duration_seconds_bucket"));
        Assert.That(metrics, Does.Contain("wechatgateway_push_queue_depth"));
    }
}
