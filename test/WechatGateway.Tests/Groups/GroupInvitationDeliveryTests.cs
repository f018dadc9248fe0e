using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Groups;

/// <summary>The invitation end to end: a follow through a live code, the processing stage, the send queue, WeChat.</summary>
public sealed class GroupInvitationDeliveryTests : GatewayTest
{
    private const string AppId = TestAccounts.QueueAppId;

    private readonly FollowerDriver _follower = new(TestAccounts.Queue);

    private static T Service<T>()
        where T : notnull => TestEnvironment.Gateway.Services.GetRequiredService<T>();

    /// <summary>Relay and dispatcher rounds of the test gateway until neither finds work.</summary>
    private static async Task DeliverAsync()
    {
        while (await Service<SendRelay>().RunUntilIdleAsync(CancellationToken.None) + await Service<SendDispatcher>().RunUntilIdleAsync(CancellationToken.None) > 0)
        {
        }
    }

    private static async Task<IReadOnlyList<JsonElement>> MessagesToAsync(string openId)
    {
        var messages = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/messages?touser={Uri.EscapeDataString(openId)}");
        return [.. messages.EnumerateArray()];
    }

    private static async Task<ulong> CreateAsync(string path, object body)
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var response = await admin.PostAsJsonAsync(path, body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
    }

    [Test]
    public async Task AFollowThroughALiveCodeDeliversTheIntroAndTheGroupQrOnceThroughTheQueue()
    {
        var store = await CreateAsync("/api/admin/stores", new { name = "Jing'an", city = "Shanghai", lat = 31.2286, lng = 121.4480 });
        var group = await CreateAsync("/api/admin/groups", new
        {
            storeId = store,
            name = "Jing'an fans 1",
            qrMediaId = "MEDIA_QR_1",
            qrExpiresAt = DateTimeOffset.UtcNow.AddDays(2).ToString("O", CultureInfo.InvariantCulture),
            intro = "Welcome! Join {group} at {store}.",
        });
        await CreateAsync("/api/admin/live-codes", new { appId = AppId, code = "counter", name = "counter", storeId = store, groupIds = new[] { group } });
                var follow = _follower.BuildEvent("o_invited", "subscribe", "qrscene_group:counter", ticket: "t");

        for (var delivery = 0; delivery < 3; delivery++)
        {
            await _follower.SendAsync(Client, _follower.Sign(follow, "o_invited", SecurityMode.Safe)); // WeChat's retries
        }

        await ProcessPushesAsync();
        await DeliverAsync();

        var messages = await MessagesToAsync("o_invited");
        var sends = await Database.QueryAsync<(string Status, string? LastError)>("SELECT status, last_error FROM outbound_send WHERE to_user = 'o_invited' ORDER BY id");
        Assert.That(sends.Select(s => s.Status), Is.EqualTo(new[] { "sent", "sent" }), string.Join("; ", sends));
        Assert.That(messages.Select(m => m.GetProperty("body").GetProperty("msgtype").GetString()), Is.EquivalentTo(new[] { "text", "image" }),
            "the queue sends them in parallel: WeChat may show either first");
        var text = messages.Single(m => m.GetProperty("body").GetProperty("msgtype").GetString() == "text");
        var image = messages.Single(m => m.GetProperty("body").GetProperty("msgtype").GetString() == "image");
        Assert.That(text.GetProperty("body").GetProperty("text").GetProperty("content").GetString(), Is.EqualTo("Welcome! Join Jing'an fans 1 at Jing'an."));
        Assert.That(image.GetProperty("body").GetProperty("image").GetProperty("media_id").GetString(), Is.EqualTo("MEDIA_QR_1"));
        Assert.That(await Database.ScalarAsync<string>("SELECT status FROM group_invitation WHERE open_id = 'o_invited'"), Is.EqualTo("queued"));
    }
}
