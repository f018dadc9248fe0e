using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.OpsConsole;

/// <summary>The ops console in headless Chromium: what an ops user sees and does, against the real gateway.</summary>
public sealed class ConsoleTests : ConsoleTest
{
    private const string Hostile = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";

    [Test]
    public async Task SigningInShowsTheDashboardWithItsCharts()
    {
        // Three weeks of a small programme: members in several stages, follows and unfollows, points in and out.
        var stages = new[] { "follower", "follower", "follower", "registered", "registered", "customer", "repeat", "dormant" };
        for (var i = 0; i < 40; i++)
        {
            await AddMemberAsync(i + 1, $"member {i + 1}", stages[i % stages.Length], homeStore: null);
        }

        await Database.ExecuteAsync(
            """
            INSERT INTO member_timeline (member_id, at, kind, summary, source_key)
            SELECT m.id, UTC_TIMESTAMP(6) - INTERVAL (m.id % 21) DAY, IF(m.id % 5 = 0, 'unfollow', 'follow'), 'seeded', CONCAT('seed:', m.id)
            FROM member m
            """);
        await Database.ExecuteAsync(
            """
            INSERT INTO points_ledger (member_id, owner_member_id, idem_key, delta, reason, balance_after, created_at, remaining)
            SELECT m.id, m.id, CONCAT('seed:', m.id), IF(m.id % 4 = 0, -30, 10 + m.id), 'seeded', 0, UTC_TIMESTAMP(6) - INTERVAL (m.id % 14) DAY, 0
            FROM member m
            """);
        // Sends of the outbox: delivered, and dead on WeChat's 45015 (the follower's 48 hours were over).
        await Database.ExecuteAsync(
            """
            INSERT INTO outbound_send (app_id, to_user, member_id, kind, body, source_key, status, attempts, last_errcode, created_at)
            SELECT @appId, CONCAT('o_', m.id), m.id, 'Custom', '{}', CONCAT('seed:', m.id), IF(m.id % 6 = 0, 'dead', 'sent'), 1, IF(m.id % 6 = 0, 45015, NULL), UTC_TIMESTAMP(6)
            FROM member m
            """,
            new { appId = TestAccounts.QueueAppId });
        await TestStores.AddAsync(1);
        using (var admin = Api(TestAccounts.AdminKey))
        {
            await AddGroupAsync(admin, "Jing'an fans 1", memberCount: 150, qrExpiresAt: DateTimeOffset.UtcNow.AddDays(5));
        }

        await SignInAsync(TestAccounts.AdminKey);

        await Page.WaitForSelectorAsync("#charts svg.chart");
        Assert.That(await Page.TextContentAsync("#who"), Does.Contain("test-admin").And.Contain("Admin"));
        Assert.That(await Page.Locator("#charts svg.chart.line polyline[data-series=follows]").CountAsync(), Is.EqualTo(1), "follows per day is drawn");
        Assert.That(await Page.Locator("#charts figure:has-text('lifecycle stage') rect.bar").CountAsync(), Is.EqualTo(5), "one bar per lifecycle stage");
        Assert.That(await Page.Locator("#charts svg.chart.line polyline[data-series=issued]").CountAsync(), Is.EqualTo(1), "points issued per day is drawn");
        Assert.That(await Page.TextContentAsync("#charts"), Does.Contain("registered").And.Contain("Queue depth"));
        Assert.That(await Page.TextContentAsync("#charts figure:has-text('Sends by errcode')"), Does.Contain("delivered (0)").And.Contain("45015"));
        Assert.That(await Page.TextContentAsync("#charts figure:has-text('Group fill per store')"), Does.Contain("150/200"));
        Assert.That(await Page.TextContentAsync("#charts figure:has-text('Queue depth')"), Does.Contain("dead"));
        Assert.That(await Page.EvaluateAsync<string?>("() => location.href"), Does.Not.Contain(TestAccounts.AdminKey), "the key is never in a URL");
        await ScreenshotAsync("dashboard");
    }

    [Test]
    public async Task AWrongKeyShowsAClearMessageAndNoConsole()
    {
        await Page.GotoAsync(ConsoleBrowser.BaseUrl + "/admin/");
        await Page.FillAsync("#signin-key", "not-a-key-0123456789abcdef-nope");
        await Page.ClickAsync("#signin button[type=submit]");

        await Page.WaitForFunctionAsync("() => document.querySelector('#signin-error').textContent.length > 0");
        Assert.That(await Page.TextContentAsync("#signin-error"), Does.Contain("not accepted"));
        Assert.That(await Page.Locator("nav, main").CountAsync(), Is.Zero, "nothing of the console is drawn");
        Assert.That(await Page.EvaluateAsync<string?>("() => sessionStorage.getItem('wg.adminKey')"), Is.Null);
    }

    /// <summary>Signs in as admin and creates an auto-reply rule through the console's form.</summary>
    private async Task CreateRuleInTheFormAsync(string name, string action, string match, string keywords, string? content)
    {
        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/auto-replies");
        await Page.ClickAsync("button.new");
        await Page.FillAsync("#rule-form [name=name]", name);
        await Page.SelectOptionAsync("#rule-form [name=action]", action);
        await Page.SelectOptionAsync("#rule-form [name=match]", match);
        await Page.FillAsync("#rule-form [name=keywords]", keywords);
        if (content is not null)
        {
            await Page.FillAsync("#rule-form [name=content]", content);
        }

        await Page.ClickAsync("#rule-form button[type=submit]");
        await Page.WaitForSelectorAsync($"main table >> text={name}");
    }

    /// <summary>Tries a text on the passive account in the "try a message" box and waits for <paramref name="shown"/>.</summary>
    private async Task TryTextAsync(string text, string shown)
    {
        await Page.SelectOptionAsync("#try-form [name=appId]", TestAccounts.PassiveAppId);
        await Page.FillAsync("#try-form [name=text]", text);
        await Page.ClickAsync("#try-form button[type=submit]");
        await Page.WaitForSelectorAsync(shown);
    }

    [Test]
    public async Task AKeywordRuleCreatedInTheConsoleAnswersATriedMessage()
    {
        await CreateRuleInTheFormAsync("price list", "reply", "contains", "price, prices", "Hi {{ member.nickname | default: 'friend' }}, here is our price list.");
        await TryTextAsync("what is the price?", "#try-result .matched");

        Assert.That(await Page.TextContentAsync("#try-result .rule-name"), Is.EqualTo("price list"));
        Assert.That(await Page.TextContentAsync("#try-result .reply-content"), Is.EqualTo("Hi friend, here is our price list."));
        await ScreenshotAsync("auto-replies");

        await Page.FillAsync("#try-form [name=text]", "hello");
        await Page.ClickAsync("#try-form button[type=submit]");
        await Page.WaitForSelectorAsync("#try-result .matched.none");
    }

    [Test]
    public async Task ASteerRuleCreatedInTheConsoleSaysItSteersWhenAMessageIsTried()
    {
        await CreateRuleInTheFormAsync("join a group", "steer", "exact", "group", null);
        await TryTextAsync("group", "#try-result .steer");

        Assert.That(await Page.TextContentAsync("main table"), Does.Contain("steers to a group"));
        Assert.That(await Page.TextContentAsync("#try-result .steer"), Does.Contain("steers the member to a group"));
        Assert.That(await Page.Locator("#try-result .reply-content").CountAsync(), Is.Zero, "no intro of its own: the group's is sent");
    }

    [Test]
    public async Task ATemplateWithALiquidErrorIsFlaggedAtItsLineAndKeepsTheText()
    {
        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/templates/new");
        const string broken = "Hello {{ member.nickname }}\nYou have {{ member.points.balance }} points\n{% if member.points.balance > 10 %}\nThanks!";

        await Page.FillAsync("#template-name", "welcome");
        await Page.FillAsync("#template-content", broken);
        await Page.ClickAsync("#template-form button[type=submit]");

        await Page.WaitForSelectorAsync(".gutter li.error-line");
        var line = await Page.GetAttributeAsync(".gutter li.error-line", "data-line");
        var message = await Page.TextContentAsync("#template-error");
        Assert.That(message, Does.StartWith($"Line {line}"));
        Assert.That(int.Parse(line!, System.Globalization.CultureInfo.InvariantCulture), Is.InRange(3, 4), "the unclosed if is on line 3 (the parser may notice at the end, line 4)");
        Assert.That(await Page.InputValueAsync("#template-content"), Is.EqualTo(broken), "nothing typed is lost");
        await ScreenshotAsync("template-error");

        // Fixed, it saves and the preview renders it.
        await Page.FillAsync("#template-content", "Hello {{ member.nickname | default: 'friend' }}\nThanks!");
        await Page.ClickAsync("#template-form button[type=submit]");
        await Page.WaitForFunctionAsync("() => location.hash.match(/^#\\/templates\\/\\d+$/)");
        await Page.WaitForSelectorAsync("#template-preview .reply-content");
        Assert.That(await Page.TextContentAsync("#template-preview .reply-content"), Is.EqualTo("Hello friend\nThanks!"));
    }

    [Test]
    public async Task AStoreManagerSeesOnlyTheirStoresAndMembers()
    {
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        await AddMemberAsync(11, "Mine", "follower", homeStore: 1);
        await AddMemberAsync(12, "Theirs", "follower", homeStore: 2);

        await SignInAsync(TestAccounts.ManagerKey);
        await GoAsync("#/stores");
        var stores = await Page.TextContentAsync("main table");
        Assert.That(stores, Does.Contain("store 1").And.Not.Contain("store 2"));
        Assert.That(await Page.Locator("button.new").CountAsync(), Is.Zero, "only admins create stores");
        Assert.That(await Page.Locator("button.edit").CountAsync(), Is.EqualTo(1), "a manager edits their own store");
        await ScreenshotAsync("stores-manager");

        await GoAsync("#/members");
        await Page.WaitForSelectorAsync("#member-results table");
        var members = await Page.TextContentAsync("#member-results");
        Assert.That(members, Does.Contain("Mine").And.Not.Contain("Theirs"));
        Assert.That(await Page.Locator("nav a[data-page=api-keys]").CountAsync(), Is.Zero);
    }

    [Test]
    public async Task AViewerSeesNoEditControls()
    {
        using var admin = Api(TestAccounts.AdminKey);
        (await admin.PostAsJsonAsync("/api/admin/auto-replies", new { name = "hi", match = "exact", keywords = new[] { "hi" }, priority = 1, enabled = true, reply = new { type = "text", content = "hello" } })).EnsureSuccessStatusCode();
        var template = await (await admin.PostAsJsonAsync("/api/admin/templates", new { name = "t", reply = new { type = "text", content = "hello" } })).Content.ReadFromJsonAsync<JsonElement>();
        await TestStores.AddAsync(1);
        var group = await AddGroupAsync(admin, "fans", memberCount: 1, qrExpiresAt: DateTimeOffset.UtcNow.AddDays(3));
        (await admin.PostAsJsonAsync("/api/admin/live-codes", new { appId = TestAccounts.QueueAppId, code = "counter", name = "counter", storeId = 1, groupIds = new[] { group } })).EnsureSuccessStatusCode();
        await AddDeadSendAsync();
        await AddMemberAsync(5, "a member", "registered", homeStore: 1);

        await SignInAsync(TestAccounts.ViewerKey);
        foreach (var (route, row) in new[] { ("#/auto-replies", "hi"), ("#/templates", "hello"), ($"#/templates/{template.GetProperty("id").GetUInt64()}", null), ("#/stores", "store 1"), ("#/groups", "fans"), ("#/live-codes", "counter"), ("#/queue", "45015"), ("#/points-rules", null), ("#/rewards", null), ("#/pushes", null), ("#/orders", null), ("#/members", null), ("#/members/5", null) })
        {
            await GoAsync(route);
            if (row is not null)
            {
                Assert.That(await Page.TextContentAsync("main table"), Does.Contain(row), $"{route}: the viewer reads it");
            }

            Assert.That(await Page.Locator("main :is(button.new, a.new, button.edit, button.danger, button.replay, button.join, #erase-personal-data, #orders-import, #rule-form, #points-adjust, form button[type=submit]:not(#try-form *):not(#member-search *))").CountAsync(), Is.Zero, route);
        }

        await GoAsync("#/auto-replies");
        Assert.That(await Page.TextContentAsync("main table"), Does.Contain("hi"), "the viewer reads the rules");
        Assert.That(await Page.Locator("#try-form").CountAsync(), Is.EqualTo(1), "trying a message changes nothing, so a viewer may");
    }

    [Test]
    public async Task ANicknameWithScriptIsShownAsText()
    {
        await AddMemberAsync(7, Hostile, "follower", homeStore: null);
        await Database.ExecuteAsync("INSERT INTO member_timeline (member_id, at, kind, summary, source_key) VALUES (7, UTC_TIMESTAMP(6), 'follow', @summary, 'x7')", new { summary = Hostile });

        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/members");
        await Page.WaitForSelectorAsync("#member-results .nickname");
        Assert.That(await Page.TextContentAsync("#member-results .nickname"), Is.EqualTo(Hostile));
        await ScreenshotAsync("members");

        await GoAsync("#/members/7");
        await Page.WaitForSelectorAsync("#member-timeline li");
        Assert.That(await Page.TextContentAsync("h1 .nickname"), Is.EqualTo(Hostile));
        Assert.That(await Page.TextContentAsync("#member-timeline"), Does.Contain(Hostile));
        Assert.That(await Page.Locator("main script, main img[src=x]").CountAsync(), Is.Zero, "no markup from data");
        Assert.That(await Page.EvaluateAsync<JsonElement>("() => window.pwned ?? null"), Has.Property("ValueKind").EqualTo(JsonValueKind.Null));
        await ScreenshotAsync("member-detail");
    }

    [Test]
    public async Task TemplateTextWithScriptIsShownAsTextInTheListEditorAndPreview()
    {
        using var admin = Api(TestAccounts.AdminKey);
        var created = await (await admin.PostAsJsonAsync("/api/admin/templates", new { name = Hostile, reply = new { type = "text", content = Hostile } })).Content.ReadFromJsonAsync<JsonElement>();

        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/templates");
        Assert.That(await Page.TextContentAsync("main td .clip"), Is.EqualTo(Hostile));
        Assert.That(await Page.TextContentAsync("main td a[href^='#/templates/']"), Is.EqualTo(Hostile));
        await GoAsync($"#/templates/{created.GetProperty("id").GetUInt64()}");
        await Page.WaitForSelectorAsync("#template-preview .reply-content");

        Assert.That(await Page.InputValueAsync("#template-content"), Is.EqualTo(Hostile));
        Assert.That(await Page.TextContentAsync("#template-preview .reply-content"), Is.EqualTo(Hostile), "Liquid leaves plain text alone; the page shows it as text");
        Assert.That(await Page.Locator("main script, main img[src=x]").CountAsync(), Is.Zero, "no markup from data");
        Assert.That(await Page.EvaluateAsync<JsonElement>("() => window.pwned ?? null"), Has.Property("ValueKind").EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task AnAdminErasesAMembersPersonalDataAndThePointsStay()
    {
        await AddMemberAsync(7, "小雨", "registered", homeStore: null);
        await Database.ExecuteAsync("UPDATE member SET phone = '13812345678', city = 'Shanghai' WHERE id = 7");
        await Database.ExecuteAsync("INSERT INTO points_ledger (member_id, owner_member_id, idem_key, delta, reason, balance_after, created_at, remaining) VALUES (7, 7, 'seed:7', 40, 'seeded', 40, UTC_TIMESTAMP(6), 40)");

        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/members/7");
        Assert.That(await Page.TextContentAsync("h1 .nickname"), Is.EqualTo("小雨"));
        Page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await Page.ClickAsync("#erase-personal-data");

        await Page.WaitForSelectorAsync("h1 .nickname:text-is('Member 7')");
        Assert.That(await Page.TextContentAsync("#member-phone"), Is.EqualTo("—"));
        Assert.That(await Page.TextContentAsync("main"), Does.Contain("seeded"), "the ledger stays");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member WHERE id = 7 AND phone IS NULL AND nickname IS NULL AND city IS NULL"), Is.EqualTo(1));
    }

    [Test]
    public async Task ASessionThatEndsWhileEditingKeepsTheFormAndSavesAfterSigningInAgain()
    {
        using var admin = Api(TestAccounts.AdminKey);
        var created = await (await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "ops-temp", role = "Admin" })).Content.ReadFromJsonAsync<JsonElement>();
        await SignInAsync(created.GetProperty("key").GetString()!);
        await GoAsync("#/auto-replies");
        await Page.ClickAsync("button.new");
        await Page.FillAsync("#rule-form [name=name]", "typed before the key was revoked");
        await Page.FillAsync("#rule-form [name=keywords]", "menu");
        await Page.FillAsync("#rule-form [name=content]", "our menu");

        (await admin.DeleteAsync($"/api/admin/api-keys/{created.GetProperty("id").GetUInt64()}")).EnsureSuccessStatusCode();
        await Page.ClickAsync("#rule-form button[type=submit]");

        await Page.WaitForSelectorAsync("#reauth[open]");
        Assert.That(await Page.InputValueAsync("#rule-form [name=name]"), Is.EqualTo("typed before the key was revoked"));
        await Page.FillAsync("#reauth-form [name=key]", TestAccounts.AdminKey);
        await Page.ClickAsync("#reauth-form button[type=submit]");

        await Page.WaitForSelectorAsync("main table >> text=typed before the key was revoked");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM auto_reply"), Is.EqualTo(1), "saved once");
    }

    [Test]
    public async Task EveryPageDrawsWithoutAnError()
    {
        await TestStores.AddAsync(1);
        using var admin = Api(TestAccounts.AdminKey);
        (await admin.PostAsJsonAsync("/api/admin/points/rules", new { name = "daily check-in", trigger = "checkin", points = 10, enabled = true })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/admin/rewards", new { name = "coffee", points = 50, stock = 1 })).EnsureSuccessStatusCode();

        await SignInAsync(TestAccounts.AdminKey);
        foreach (var page in await Page.Locator("nav a").EvaluateAllAsync<string[]>("links => links.map(a => a.dataset.page)"))
        {
            await GoAsync($"#/{page}");
            Assert.That(await Page.Locator("main h1").CountAsync(), Is.EqualTo(1), page);
            Assert.That(await Page.Locator("main .error").CountAsync(), Is.Zero, $"{page}: {await Page.TextContentAsync("main")}");
        }

        await GoAsync("#/points-rules");
        Assert.That(await Page.TextContentAsync("main table"), Does.Contain("daily check-in"));
        await ScreenshotAsync("points-rules");
        await GoAsync("#/audit");
        Assert.That(await Page.TextContentAsync("main table"), Does.Contain("POST /api/admin/rewards"));
        await ScreenshotAsync("audit");
    }

    [Test]
    public async Task GroupsShowTheirFillAndExpiringQrCodesAndTheDashboardTheirFillPerStore()
    {
        await TestStores.AddAsync(1);
        using var admin = Api(TestAccounts.AdminKey);
        await AddGroupAsync(admin, "Jing'an fans 1", memberCount: 190, qrExpiresAt: DateTimeOffset.UtcNow.AddHours(5));
        await AddGroupAsync(admin, "Jing'an fans 2", memberCount: 20, qrExpiresAt: DateTimeOffset.UtcNow.AddDays(6));

        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/groups");
        Assert.That(await Page.Locator("main .fill.high").CountAsync(), Is.EqualTo(1), "a group at 95 % shows as nearly full");
        Assert.That(await Page.Locator("main .qr.expiring").CountAsync(), Is.EqualTo(1));
        Assert.That(await Page.TextContentAsync("main tr:has-text('fans 1') .qr"), Does.Contain("expires within 24 h"));
        Assert.That(await Page.TextContentAsync("#group-alerts"), Does.Contain("Jing'an fans 1 (store 1): QR expires").And.Not.Contain("fans 2"));
        await ScreenshotAsync("groups");

        await GoAsync("#/dashboard");
        await Page.WaitForSelectorAsync("#charts figure:has-text('Group fill per store') svg");
        Assert.That(await Page.TextContentAsync("#charts figure:has-text('Group fill per store')"), Does.Contain("210/400"));
    }

    [Test]
    public async Task AGroupsNewQrCodeIsSavedFromTheConsoleAndItsWarningGoes()
    {
        await TestStores.AddAsync(1);
        using var admin = Api(TestAccounts.AdminKey);
        await AddGroupAsync(admin, "Jing'an fans 1", memberCount: 10, qrExpiresAt: DateTimeOffset.UtcNow.AddHours(2));

        await SignInAsync(TestAccounts.ManagerKey);
        await GoAsync("#/groups");
        Assert.That(await Page.Locator("main .qr.expiring").CountAsync(), Is.EqualTo(1));
        await Page.ClickAsync("main button.edit");
        await Page.FillAsync("#groups-form [name=qrImageUrl]", "https://cdn.example.com/groups/jingan-1-new.png");
        await Page.FillAsync("#groups-form [name=qrExpiresAt]", DateTime.Now.AddDays(6).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await Page.ClickAsync("#groups-form button[type=submit]");

        await Page.WaitForSelectorAsync("main table:not(:has(.qr.expiring))");
        Assert.That(await Page.Locator("#group-alerts").CountAsync(), Is.Zero, "no alert is left");
        Assert.That(await Database.ScalarAsync<string>("SELECT qr_image_url FROM community_group"), Is.EqualTo("https://cdn.example.com/groups/jingan-1-new.png"));
    }

    [Test]
    public async Task AStoreManagerConfirmsAJoinAndTheGroupsConversionCountsIt()
    {
        await TestStores.AddAsync(1);
        await AddMemberAsync(11, "Mine", "follower", homeStore: 1);
        await AddMemberAsync(12, "Also mine", "follower", homeStore: 1);
        using var admin = Api(TestAccounts.AdminKey);
        var group = await AddGroupAsync(admin, "Jing'an fans 1", memberCount: 2, qrExpiresAt: DateTimeOffset.UtcNow.AddDays(6));
        // Both were invited, each holding a seat (the two of memberCount).
        await Database.ExecuteAsync(
            """
            INSERT INTO group_invitation (source_key, member_id, app_id, open_id, group_id, store_id, `trigger`, reason, status, messages, created_at)
            SELECT CONCAT('test:', m.id), m.id, @appId, CONCAT('o_', m.id), @group, 1, 'location', 'nearest', 'sent', '[]', UTC_TIMESTAMP(6) FROM member m;
            INSERT INTO group_member (group_id, member_id, invited_at) SELECT @group, m.id, UTC_TIMESTAMP(6) FROM member m;
            """,
            new { group, appId = TestAccounts.QueueAppId });

        await SignInAsync(TestAccounts.ManagerKey);
        await GoAsync("#/groups");
        Assert.That(await Page.TextContentAsync("main tr:has-text('fans 1')"), Does.Contain("2 → 0 (0 %)"));
        await Page.ClickAsync("main button.join");
        await Page.FillAsync("#join-form [name=memberId]", "11");
        await Page.ClickAsync("#join-form button[type=submit]");

        await Page.WaitForSelectorAsync("main tr:has-text('2 → 1 (50 %)')");
        Assert.That(await Page.TextContentAsync("main tr:has-text('fans 1') .fill-text"), Is.EqualTo("2/200 (1%)"), "the join took the seat the invitation held");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM group_member WHERE group_id = @group AND member_id = 11 AND joined_at IS NOT NULL", new { group }), Is.EqualTo(1));
    }

    [Test]
    public async Task AnOrdersCsvImportedInTheConsoleAnswersPerRowAndTheOrdersAreListed()
    {
        await TestStores.AddAsync(1);
        await AddMemberAsync(11, "buyer", "registered", homeStore: 1);
        await Database.ExecuteAsync("INSERT INTO member_identity (app_id, open_id, member_id, account_type, created_at) VALUES (@appId, 'o_buyer', 11, 'OfficialAccount', UTC_TIMESTAMP(6))", new { appId = TestAccounts.QueueAppId });
        var paid = DateTime.UtcNow.AddHours(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var csv = $"""
            orderNo,openId,appId,unionId,phone,amount,storeId,paidAt
            POS-1,o_buyer,{TestAccounts.QueueAppId},,,128.00,1,{paid}
            EC-2,,,,13800000000,59.90,,{paid}
            EC-3,o_buyer,{TestAccounts.QueueAppId},,,,1,{paid}
            """;

        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/orders");
        await Page.SetInputFilesAsync("#orders-file", new FilePayload { Name = "orders.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(csv) });
        await Page.ClickAsync("#orders-import button[type=submit]");

        await Page.WaitForSelectorAsync("#import-result .summary");
        Assert.That(await Page.TextContentAsync("#import-result .summary"), Is.EqualTo("1 imported · 1 waiting for their member · 0 already imported · 1 invalid"));
        Assert.That(await Page.TextContentAsync("#import-result tr:has-text('EC-3')"), Does.Contain("invalid").And.Contain("amount"));
        Assert.That(await Page.TextContentAsync("#orders-list tr:has-text('POS-1')"), Does.Contain("128.00").And.Contain("11"));
        Assert.That(await Page.TextContentAsync("#orders-list tr:has-text('EC-2')"), Does.Contain("waiting for the member"));

        // The same file again: nothing new.
        await Page.ClickAsync("#orders-import button[type=submit]");
        await Page.WaitForSelectorAsync("#import-result .summary:has-text('2 already imported')");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM shop_order"), Is.EqualTo(2));
    }

    [Test]
    public async Task ALiveCodeCreatedInTheConsoleDownloadsItsQrImage()
    {
        await TestStores.AddAsync(1);
        using var admin = Api(TestAccounts.AdminKey);
        var group = await AddGroupAsync(admin, "Jing'an fans 1", memberCount: 10, qrExpiresAt: DateTimeOffset.UtcNow.AddDays(6));
        // WeChat's image host is not reached from the test: it answers a QR-like PNG here.
        await Page.RouteAsync("https://mp.weixin.qq.com/**", route => route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "image/png", BodyBytes = Convert.FromBase64String(QrLikePng) }));

        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/live-codes");
        await Page.ClickAsync("main button.new");
        await Page.SelectOptionAsync("#live-codes-form [name=appId]", TestAccounts.QueueAppId);
        await Page.FillAsync("#live-codes-form [name=code]", "jingan-counter");
        await Page.FillAsync("#live-codes-form [name=name]", "Jing'an counter card");
        await Page.FillAsync("#live-codes-form [name=storeId]", "1");
        await Page.FillAsync("#live-codes-form [name=groupIds]", group.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Page.ClickAsync("#live-codes-form button[type=submit]");

        await Page.WaitForSelectorAsync("main table >> text=Jing'an counter card");
        var ticket = await Database.ScalarAsync<string>("SELECT ticket FROM group_live_code WHERE code = 'jingan-counter'");
        Assert.That(await Page.GetAttributeAsync("main img.qr-thumb", "src"), Is.EqualTo("https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=" + Uri.EscapeDataString(ticket!)), "the thumbnail is WeChat's image of the code's own ticket");

        // The download is a file saved by the browser: the PNG the gateway draws of the code's own qrUrl.
        var download = await Page.RunAndWaitForDownloadAsync(() => Page.ClickAsync("main button.qr-download"));
        Assert.That(download.SuggestedFilename, Is.EqualTo("live-code-jingan-counter.png"));
        var qrUrl = await Database.ScalarAsync<string>("SELECT qr_url FROM group_live_code WHERE code = 'jingan-counter'");
        Assert.That(await File.ReadAllBytesAsync((await download.PathAsync())!), Is.EqualTo(WechatGateway.Groups.LiveCodes.QrPng(qrUrl!)));
        Assert.That(await Page.TextContentAsync("main table"), Does.Contain(group.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await ScreenshotAsync("live-codes");
    }

    [Test]
    public async Task ADeadSendIsReplayedFromTheQueuePage()
    {
        var id = await AddDeadSendAsync();

        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/queue");
        Assert.That(await Page.TextContentAsync("main tr:has(button.replay)"), Does.Contain("45015 response out of time limit"));
        Assert.That(await Page.TextContentAsync("main dl.facts"), Does.Contain("statuses.dead"));
        await ScreenshotAsync("queue");
        await Page.ClickAsync("main button.replay");
        await Page.WaitForSelectorAsync("main td:text-is('replayed')");

        Assert.That(await Database.ScalarAsync<string>("SELECT status FROM outbound_send WHERE id = @id", new { id }), Is.EqualTo("pending"));
        await GoAsync("#/queue");
        Assert.That(await Page.Locator("main button.replay").CountAsync(), Is.Zero, "the dead letter is gone");
    }

    [Test]
    public async Task ALongDeadLetterListLoadsAPageAtATime()
    {
        for (var i = 0; i < 60; i++)
        {
            await AddDeadSendAsync();
        }

        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/queue");
        Assert.That(await Page.Locator("main button.replay").CountAsync(), Is.EqualTo(50));
        await Page.ClickAsync("main button.more");
        await Page.WaitForFunctionAsync("() => document.querySelectorAll('main button.replay').length === 60");
        Assert.That(await Page.IsHiddenAsync("main button.more"), Is.True, "nothing more to load");
    }

    private const string QrLikePng = "iVBORw0KGgoAAAANSUhEUgAAABkAAAAZAQAAAADskrjOAAAAaElEQVR42mP4DwQMYOKAI+N/hvultf8ZLqa6AolaEFEIJO6XA8UORAJl/18Hqjt/If8/w8Hbp/8zPDP3/8/wRgnIfQhi/X9fCFSXawzUEd0J1Ot5FUg4OgKJcKDE/QRroKyDPdQ2EAEAko1H4c5EPVcAAAAASUVORK5CYII=";

    private static async Task<ulong> AddGroupAsync(HttpClient admin, string name, int memberCount, DateTimeOffset qrExpiresAt)
    {
        var created = await admin.PostAsJsonAsync("/api/admin/groups", new { storeId = 1, name, capacity = 200, memberCount, qrImageUrl = "https://cdn.example.com/groups/" + Uri.EscapeDataString(name) + ".png", qrExpiresAt });
        Assert.That((int)created.StatusCode, Is.EqualTo(201), await created.Content.ReadAsStringAsync());
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
    }

    private static Task<ulong> AddDeadSendAsync() =>
        Database.ScalarAsync<ulong>(
            """
            INSERT INTO outbound_send (app_id, to_user, kind, body, source_key, status, attempts, last_errcode, last_error, created_at)
            VALUES (@appId, 'o_dead', 'Custom', '{"touser":"o_dead","msgtype":"text","text":{"content":"hi"}}', CONCAT('test:dead:', UUID()), 'dead', 8, 45015, 'response out of time limit', UTC_TIMESTAMP(6));
            SELECT LAST_INSERT_ID();
            """,
            new { appId = TestAccounts.QueueAppId });

    [Test]
    public async Task TheApiDocsBrowseTheOpenApiDocumentFromTheGatewayAlone()
    {
        var foreign = new List<string>();
        Page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(ConsoleBrowser.BaseUrl, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                foreign.Add(request.Url);
            }
        };

        await Page.GotoAsync(ConsoleBrowser.BaseUrl + "/docs");
        await Page.WaitForSelectorAsync("text=Download OpenAPI Document");
        await Page.ClickAsync("aside >> text=Replies");
        await Page.WaitForSelectorAsync("text=Which rule answers a message or event");
        await Page.GetByText("Creates a rule; 400 with the field").First.ClickAsync();
        // The operation's request example (from [RequestExample] on its handler) is what the page offers to send.
        await Page.GetByText("价格").First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
        await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.That(foreign, Is.Empty, "no CDN at run time");
    }

    [Test]
    public async Task AtAnOrdinaryLaptopWidthRuleActionsStayInViewDatesAreIsoAndThePagesHaveAnIcon()
    {
        await Page.SetViewportSizeAsync(1280, 800);
        using var admin = Api(TestAccounts.AdminKey);
        var longText = string.Concat(Enumerable.Repeat("A reply long enough to stretch its column well past the page. ", 8));
        var created = await admin.PostAsJsonAsync("/api/admin/auto-replies", new
        {
            appId = TestAccounts.PassiveAppId, name = "a rule with a long reply", match = "contains",
            keywords = Enumerable.Range(0, 20).Select(i => $"keyword-number-{i}").ToArray(), reply = new { type = "text", content = longText },
        });
        Assert.That((int)created.StatusCode, Is.EqualTo(201), await created.Content.ReadAsStringAsync());
        await SignInAsync(TestAccounts.AdminKey);

        await GoAsync("#/auto-replies");
        var delete = await Page.Locator("main table button.danger").First.BoundingBoxAsync();
        var table = await Page.Locator("main .table").First.BoundingBoxAsync();
        await GoAsync("#/templates");
        await GoAsync("#/audit");
        var when = await Page.Locator("main table tbody tr td").Nth(1).TextContentAsync();
        var icon = await Page.GetAttributeAsync("link[rel=icon]", "href");
        var iconAnswer = await admin.GetAsync(icon);

        Assert.That(delete!.X + delete.Width, Is.LessThanOrEqualTo(table!.X + table.Width), "the Delete button is visible without scrolling the table");
        Assert.That(when, Does.Match(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$"), "dates are ISO 8601, not 04/12/2026");
        Assert.That((int)iconAnswer.StatusCode, Is.EqualTo(200));
        Assert.That(iconAnswer.Content.Headers.ContentType?.MediaType, Is.EqualTo("image/svg+xml"));
    }

    [Test]
    public async Task TheApiPageOpensWithItsIntroductionAndWithoutTheRenderersHostedExtras()
    {
        await Page.GotoAsync(ConsoleBrowser.BaseUrl + "/docs");
        await Page.WaitForSelectorAsync("text=Download OpenAPI Document");

        await Page.GetByText("Authentication.").First.WaitForAsync();
        await Page.GetByText("StoreManager").First.WaitForAsync();
        var body = await Page.InnerTextAsync("body");
        Assert.That(body, Does.Not.Contain("Ask AI").And.Not.Contain("Generate SDK").And.Not.Contain("Deploy"));
    }

    [Test]
    public async Task TheDemoRunShSeedsIsThereToWalkThroughInTheConsole()
    {
        // The same seeding as run.sh, on this gateway's passive account.
        using var seed = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3")
        {
            ArgumentList = { Path.Combine(ConsoleBrowser.RepositoryRoot(), "deploy", "local", "seed_demo.py"), ConsoleBrowser.BaseUrl, TestAccounts.AdminKey, TestAccounts.PassiveAppId },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var printed = await seed.StandardOutput.ReadToEndAsync();
        var errors = await seed.StandardError.ReadToEndAsync();
        await seed.WaitForExitAsync();
        Assert.That(seed.ExitCode, Is.Zero, errors);
        Assert.That(printed, Does.Contain("scene=group:demo-counter"));
        await SignInAsync(TestAccounts.AdminKey);

        var seen = new Dictionary<string, string>();
        foreach (var (route, name) in new[]
        {
            ("#/auto-replies", "demo welcome"), ("#/points-rules", "demo follow"), ("#/stores", "Demo store Jing'an"),
            ("#/groups", "Demo Jing'an fans"), ("#/live-codes", "Demo counter card"), ("#/rewards", "demo coffee"),
        })
        {
            await GoAsync(route);
            seen[route] = await Page.InnerTextAsync("main#page");
            Assert.That(seen[route], Does.Contain(name), route);
        }

        Assert.That(seen["#/auto-replies"], Does.Contain("demo hello"));
        Assert.That(seen["#/points-rules"], Does.Contain("demo check-in"));
    }

    private static Task AddMemberAsync(long id, string nickname, string stage, long? homeStore) =>
        Database.ExecuteAsync(
            """
            INSERT INTO member (id, nickname, stage, home_store_id, created_at, last_interaction_at)
            VALUES (@id, @nickname, @stage, @homeStore, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """,
            new { id, nickname, stage, homeStore });
}
