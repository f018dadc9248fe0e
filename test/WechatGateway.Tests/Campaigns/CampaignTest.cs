using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Campaigns;
using WechatGateway.Push;
using WechatGateway.Segments;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Campaigns;

/// <summary>
/// One gateway for the campaign tests: a quota high enough for a 10k campaign to finish in seconds, and the queue's
/// back-offs short enough to watch retries end.
/// </summary>
[SetUpFixture]
public sealed class CampaignEnvironment
{
    public const int PerAccountPerSecond = 5000;

    public static GatewayFactory Gateway { get; private set; } = null!;

    [OneTimeSetUp]
    public void Start()
    {
        Gateway = new GatewayFactory(new Dictionary<string, string?>
        {
            ["SendQueue:PerAccountPerSecond"] = PerAccountPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SendQueue:BackoffBaseMilliseconds"] = "50",
            ["SendQueue:BackoffMaxSeconds"] = "1",
            ["SendQueue:MaxAttempts"] = "3",
            ["SendQueue:BatchSize"] = "500",
            ["Campaigns:BatchSize"] = "500",
        });
        _ = Gateway.Server;
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await Gateway.DisposeAsync();
}

/// <summary>A settable clock, for the runner of a test that moves time (a cron's next occurrence).</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Members, segments and templates placed for a campaign, and the run engine and queue driven by hand.</summary>
public abstract class CampaignTest : GatewayTest
{
    protected const string AppId = TestAccounts.QueueAppId;
    protected const string TemplateId = "TPL_CAMPAIGN";

    protected static GatewayFactory Gateway => CampaignEnvironment.Gateway;

    protected static T Service<T>()
        where T : notnull => Gateway.Services.GetRequiredService<T>();

    protected static HttpClient Admin()
    {
        var client = Gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestAccounts.AdminKey);
        return client;
    }

    public static string OpenIdOf(ulong memberId) => $"o_cmp_{memberId}";

    /// <summary>Members <paramref name="first"/>.. (count of them) with an OpenID on <paramref name="appId"/>, following or not; one statement each, whatever the count.</summary>
    protected static async Task SeedAsync(ulong first, int count, bool following = true, string appId = AppId)
    {
        const string sql = """
            SET SESSION max_recursive_iterations = 1000000;
            INSERT INTO member (id, nickname, stage, created_at, last_interaction_at)
            SELECT n, CONCAT('member ', n), 'follower', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
            FROM (WITH RECURSIVE s(n) AS (SELECT @first UNION ALL SELECT n + 1 FROM s WHERE n < @last) SELECT n FROM s) seq;
            INSERT INTO member_identity (app_id, open_id, member_id, account_type, created_at)
            SELECT @appId, CONCAT('o_cmp_', id), id, 'OfficialAccount', UTC_TIMESTAMP(6) FROM member WHERE id BETWEEN @first AND @last;
            INSERT INTO member_follow (app_id, open_id, member_id, subscribed, subscribed_at)
            SELECT @appId, CONCAT('o_cmp_', id), id, @following, UTC_TIMESTAMP(6) FROM member WHERE id BETWEEN @first AND @last;
            """;
        await Database.ExecuteAsync(sql, new { first, last = first + (ulong)count - 1, appId, following });
    }

    /// <summary>The member wrote to the account <paramref name="ago"/> (a recorded push of type text), or only followed (an event).</summary>
    protected static async Task WroteAsync(ulong memberId, TimeSpan ago, string msgType = "text")
    {
        const string sql = """
            INSERT INTO wechat_push (app_id, dedup_hash, dedup_key, open_id, msg_type, event, create_time, security_mode, raw_xml, received_at, status)
            VALUES (@appId, UNHEX(SHA2(UUID(), 256)), UUID(), @openId, @msgType, NULL, 0, 'plaintext', '', @at, 'processed')
            """;
        await Database.ExecuteAsync(sql, new { appId = AppId, openId = OpenIdOf(memberId), msgType, at = DateTime.UtcNow - ago });
    }

    protected static async Task<ulong> SegmentAsync(SegmentFilter? filter = null) =>
        await Service<SegmentStore>().CreateAsync("campaign audience", filter ?? new SegmentFilter(AppId: AppId), "test", CancellationToken.None);

    protected static async Task AddTemplateAsync(string appId, string templateId, string kind = "template") =>
        (await TestEnvironment.Simulator.Client.PostAsJsonAsync("/_sim/templates", new { appid = appId, templateId, kind })).EnsureSuccessStatusCode();

    protected static object TemplateCampaign(ulong segmentId, int rate = 1000, object? schedule = null, string templateId = TemplateId) => new
    {
        name = "points reminder",
        segmentId,
        channel = "template",
        template = new { templateId, data = new Dictionary<string, string> { ["first"] = "Hi {{ member.nickname }}", ["keyword1"] = "{{ member.points.balance }} points" }, url = "https://example-brand.cn/points" },
        schedule,
        ratePerSecond = rate,
    };

    protected static async Task<ulong> CreateAsync(object campaign)
    {
        using var admin = Admin();
        var response = await admin.PostAsJsonAsync("/api/admin/campaigns", campaign);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
    }

    protected static async Task<JsonElement> GetAsync(ulong id)
    {
        using var admin = Admin();
        return await admin.GetFromJsonAsync<JsonElement>($"/api/admin/campaigns/{id}");
    }

    /// <summary>One round of the engine, then the queue's relay and dispatcher until idle: what workers do.</summary>
    protected static async Task<int> RoundAsync(CampaignRunner? runner = null, CancellationToken ct = default)
    {
        var work = await (runner ?? Service<CampaignRunner>()).RunOnceAsync(ct);
        while (true)
        {
            var moved = await Service<SendRelay>().RunUntilIdleAsync(ct);
            var handled = await Service<SendDispatcher>().RunUntilIdleAsync(ct);
            work += handled;
            if (moved == 0 && handled == 0)
            {
                return work;
            }
        }
    }

    /// <summary>
    /// A round as a worker's loop runs it: one that fails (a statement timing out on a loaded machine) is logged and the
    /// next round tries again; what it did not commit is done again.
    /// </summary>
    protected static async Task<int> TryRoundAsync(CampaignRunner? runner = null, CancellationToken ct = default)
    {
        try
        {
            return await RoundAsync(runner, ct);
        }
        catch (MySqlConnector.MySqlException e)
        {
            TestContext.Progress.WriteLine($"round failed, retried: {e.Message}");
            return 0;
        }
    }

    /// <summary>Rounds until the campaign is <paramref name="status"/> (at most <paramref name="timeout"/>); returns its view.</summary>
    protected static async Task<JsonElement> DriveUntilAsync(ulong id, string status, TimeSpan timeout, CampaignRunner? runner = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await TryRoundAsync(runner) == 0)
            {
                var view = await GetAsync(id);
                if (view.GetProperty("status").GetString() == status)
                {
                    return view;
                }

                await Task.Delay(20);
            }
        }

        var last = await GetAsync(id);
        Assert.Fail($"campaign {id} did not become {status} within {timeout}: {last}");
        return last;
    }

    protected static async Task<IReadOnlyList<JsonElement>> MessagesAsync(string api = "message/template/send")
    {
        var messages = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>($"/_sim/messages?api={Uri.EscapeDataString(api)}");
        return [.. messages.EnumerateArray()];
    }

    protected static Dictionary<string, int> Reasons(JsonElement view, string property = "skippedByReason") =>
        view.GetProperty(property).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());

    protected static CampaignRunner NewRunner(TimeProvider? time = null) =>
        time is null
            ? ActivatorUtilities.CreateInstance<CampaignRunner>(Gateway.Services)
            : ActivatorUtilities.CreateInstance<CampaignRunner>(Gateway.Services, time);
}
