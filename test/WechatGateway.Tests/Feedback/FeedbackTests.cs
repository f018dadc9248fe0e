using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using WechatGateway.Feedback;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Feedback;

/// <summary>The third handshake end to end: order → survey after the delay → feedback → points once → a low rating alerts the store.</summary>
public sealed class FeedbackTests : AfterSaleTest
{
    private static async Task<ulong> StoreWithStaffAsync(HttpClient admin, string staffOpenId) =>
        await CreateAsync(admin, "/api/admin/stores", new { name = "Jing'an", city = "Shanghai", lat = 31.2286, lng = 121.4480, staffAppId = AppId, staffOpenId });

    private static async Task ImportAsync(HttpClient admin, string orderNo, string openId, ulong storeId, DateTimeOffset? paidAt = null)
    {
        using var response = await admin.PostAsJsonAsync("/api/admin/orders", new { orderNo, openId, appId = AppId, amount = 88m, storeId, paidAt = paidAt ?? DateTimeOffset.UtcNow });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
    }

    private static async Task<(string Status, string? Channel, string? Reason)> SurveyAsync(string orderNo) =>
        (await Database.QueryAsync<(string, string?, string?)>(
            "SELECT s.status, s.channel, s.reason FROM feedback_survey s JOIN shop_order o ON o.id = s.order_id WHERE o.order_no = @orderNo", new { orderNo })).Single();

    [Test]
    public async Task AnOrdersSurveyArrivesAfterTheStoresDelayAndItsLowRatingAwardsPointsOnceAndAlertsTheStoresStaff()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        var store = await StoreWithStaffAsync(admin, "o_fb_staff");
        await PushAsync("o_fb_staff", f => f.BuildText("o_fb_staff", "on duty", 7001)); // the staff member's window
        using (var put = await admin.PutAsJsonAsync("/api/admin/feedback/settings", new { storeId = store, surveyAfter = "PT6H" }))
        {
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await put.Content.ReadAsStringAsync());
        }

        using var member = await FollowingMemberAsync("o_fb_lily");
        // After her message: the same trigger also rewards messages to the account (Points/PointsPushHandler).
        await CreateAsync(admin, "/api/admin/points/rules", new { name = "survey answered", trigger = "feedback", points = 20, enabled = true });
        await ImportAsync(admin, "FB-1", "o_fb_lily", store);

        var early = await JobAt<SurveyJob>(TimeSpan.FromHours(5)).RunOnceAsync(CancellationToken.None);
        var due = await JobAt<SurveyJob>(TimeSpan.FromHours(6.5)).RunOnceAsync(CancellationToken.None);
        var again = await JobAt<SurveyJob>(TimeSpan.FromHours(7)).RunOnceAsync(CancellationToken.None);
        await DeliverAsync();

        Assert.That((early, due, again), Is.EqualTo((0, 1, 0)), "due after the store's 6 hours, once");
        Assert.That(await SurveyAsync("FB-1"), Is.EqualTo(("queued", "custom", (string?)null)), "within the window she opened: a customer-service message");
        var survey = (await MessagesToAsync("o_fb_lily")).Single();
        Assert.That(survey.GetProperty("body").GetProperty("text").GetProperty("content").GetString(), Does.Contain("FB-1").And.Contain("Jing'an"));

        var orders = await member.GetFromJsonAsync<JsonElement>("/api/mp/me/orders");
        Assert.That(orders.EnumerateArray().Select(o => (o.GetProperty("orderNo").GetString(), o.GetProperty("feedback").ValueKind)), Is.EqualTo(new[] { ("FB-1", JsonValueKind.Null) }));

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => member.PostAsJsonAsync("/api/mp/me/feedback", new { orderNo = "FB-1", rating = 2, comment = "Waited 20 minutes" })));
        Assert.That(answers.Select(a => a.StatusCode).Order(), Is.EqualTo(new[] { HttpStatusCode.Created, HttpStatusCode.Conflict, HttpStatusCode.Conflict, HttpStatusCode.Conflict }), "once per order");
        Assert.That((await answers.Single(a => a.StatusCode == HttpStatusCode.Created).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("awarded").GetInt64(), Is.EqualTo(20));
        Assert.That(await BalanceAsync(member), Is.EqualTo(20), "the feedback rule's points, once");

        await DeliverAsync();
        var alert = (await MessagesToAsync("o_fb_staff")).Single().GetProperty("body").GetProperty("text").GetProperty("content").GetString();
        Assert.That(alert, Does.Contain("Low rating 2/5").And.Contain("FB-1").And.Contain("Waited 20 minutes"));

        var listed = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/feedback?storeId={store}&rating=2");
        var row = listed.EnumerateArray().Single();
        Assert.That((row.GetProperty("orderNo").GetString(), row.GetProperty("amount").GetDecimal(), row.GetProperty("alerted").GetBoolean()), Is.EqualTo(("FB-1", 88m, true)));
        Assert.That((await admin.GetFromJsonAsync<JsonElement>("/api/admin/feedback?rating=5")).GetArrayLength(), Is.Zero);
        var ratings = await admin.GetFromJsonAsync<JsonElement>("/api/admin/feedback/ratings");
        Assert.That(ratings.EnumerateArray().Select(r => (r.GetProperty("storeId").GetUInt64(), r.GetProperty("average").GetDouble(), r.GetProperty("low").GetInt64())), Is.EqualTo(new[] { (store, 2.0, 1L) }));
    }

    [Test]
    public async Task OutsideTheWindowTheSurveyGoesAsATemplateToFollowersAndIsSkippedWithAReasonForOthers()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        var store = await StoreWithStaffAsync(admin, "o_fb_staff2");
        using var follower = await FollowingMemberAsync("o_fb_quiet", message: false);
        using var leaver = await FollowingMemberAsync("o_fb_gone");
        await PushAsync("o_fb_gone", f => f.BuildEvent("o_fb_gone", "unsubscribe"));
        await ImportAsync(admin, "FB-T", "o_fb_quiet", store);
        await ImportAsync(admin, "FB-U", "o_fb_gone", store);
        await ImportAsync(admin, "FB-OLD", "o_fb_quiet", store, DateTimeOffset.UtcNow.AddDays(-30));
        var withTemplate = Options.Create(new FeedbackOptions { SurveyTemplates = { [AppId] = "TPL_SURVEY" }, MiniProgramAppId = TestAccounts.MiniProgramAppId });

        var decided = await JobAt<SurveyJob>(TimeSpan.FromDays(2.1), withTemplate).RunOnceAsync(CancellationToken.None);
        await DeliverAsync();

        Assert.That(decided, Is.EqualTo(2), "the default delay (2 days) has passed for both; the old order was never scheduled");
        Assert.That(await SurveyAsync("FB-T"), Is.EqualTo(("queued", "template", (string?)null)));
        Assert.That(await SurveyAsync("FB-U"), Is.EqualTo(("skipped", (string?)null, "the member no longer follows the official account")));
        Assert.That((await SurveyAsync("FB-OLD")).Item3, Does.Contain("too long after"));
        var template = (await MessagesToAsync("o_fb_quiet")).Single();
        Assert.That(template.GetProperty("api").GetString(), Does.Contain("template"));
        Assert.That(template.GetProperty("body").GetProperty("miniprogram").GetProperty("pagepath").GetString(), Is.EqualTo("pages/feedback/index?orderNo=FB-T"));
        Assert.That(await MessagesToAsync("o_fb_gone"), Is.Empty);
    }

    [Test]
    public async Task AMemberRatesOnlyHerOwnOrdersAndAStoreManagerReadsOnlyItsStoresFeedback()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var manager = AdminClient(TestAccounts.ManagerKey);
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        using var lily = await FollowingMemberAsync("o_fb_a", message: false);
        using var mia = await FollowingMemberAsync("o_fb_b", message: false);
        await ImportAsync(admin, "FB-A1", "o_fb_a", 1);
        await ImportAsync(admin, "FB-B2", "o_fb_b", 2);

        using var notHers = await lily.PostAsJsonAsync("/api/mp/me/feedback", new { orderNo = "FB-B2", rating = 5 });
        using var invalid = await lily.PostAsJsonAsync("/api/mp/me/feedback", new { orderNo = "FB-A1", rating = 6 });
        using var mine = await lily.PostAsJsonAsync("/api/mp/me/feedback", new { orderNo = "FB-A1", rating = 5 });
        using var theirs = await mia.PostAsJsonAsync("/api/mp/me/feedback", new { orderNo = "FB-B2", rating = 1 });

        Assert.That((notHers.StatusCode, invalid.StatusCode, mine.StatusCode, theirs.StatusCode),
            Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.BadRequest, HttpStatusCode.Created, HttpStatusCode.Created)));
        var managersView = await manager.GetFromJsonAsync<JsonElement>("/api/admin/feedback");
        Assert.That(managersView.EnumerateArray().Select(f => f.GetProperty("orderNo").GetString()), Is.EqualTo(new[] { "FB-A1" }));
        using var otherStore = await manager.GetAsync("/api/admin/feedback?storeId=2");
        Assert.That(otherStore.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await admin.GetFromJsonAsync<JsonElement>("/api/admin/feedback")).GetArrayLength(), Is.EqualTo(2));
    }
}
