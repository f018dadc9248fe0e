using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Wechat.Messages;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Replies;

public sealed class AutoReplyTests : GatewayTest
{
    private const string Follower = "o_reply_follower";
    private readonly FollowerDriver _passive = new(TestAccounts.Passive);
    private HttpClient _admin = null!;

    [SetUp]
    public void CreateAdmin() => _admin = AdminClient(TestAccounts.AdminKey);

    [TearDown]
    public void DisposeAdmin() => _admin.Dispose();

    private async Task<HttpResponseMessage> CreateRuleAsync(object rule) => await _admin.PostAsJsonAsync("/api/admin/auto-replies", rule);

    private async Task<ulong> RuleAsync(object rule)
    {
        var response = await CreateRuleAsync(rule);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
    }

    /// <summary>Sends a push and reads the passive reply back as WeChat would (decrypted when the push was encrypted).</summary>
    private async Task<WechatXmlDocument?> AskAsync(string xml, SecurityMode mode = SecurityMode.Safe, string openId = Follower)
    {
        var response = await _passive.SendAsync(Client, _passive.Sign(xml, openId, mode));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = await response.Content.ReadAsStringAsync();
        var reply = mode == SecurityMode.Plaintext ? (body == "success" ? null : body) : _passive.DecryptReply(body);
        return reply is null ? null : WechatXml.Parse(reply);
    }

    private async Task MemberNamedAsync(string nickname)
    {
        await AskAsync(_passive.BuildEvent(Follower, "subscribe"));
        await ProcessPushesAsync();
        await Database.ExecuteAsync("UPDATE member SET nickname = @nickname", new { nickname });
    }

    [Test]
    public async Task KeywordTextGetsOneRenderedReplyInTheResponseAndItsRetriesTheSame()
    {
        await MemberNamedAsync("Li Lei");
        await RuleAsync(new
        {
            appId = (string?)null, name = "price list", match = "contains", keywords = new[] { "价格", "price" }, priority = 10, enabled = true,
            reply = new { type = "text", content = "Hi {{ member.nickname }}, you have {{ member.points.balance }} points." },
        });
        var xml = _passive.BuildText(Follower, "what is the PRICE?", 8_000_001);

        var first = await AskAsync(xml);
        var retry = await AskAsync(xml);

        Assert.That(first!["MsgType"], Is.EqualTo("text"));
        Assert.That(first["Content"], Is.EqualTo("Hi Li Lei, you have 0 points."));
        Assert.That(first["ToUserName"], Is.EqualTo(Follower));
        Assert.That(retry!["Content"], Is.EqualTo(first["Content"]), "a retry is answered with the stored reply");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE msg_type = 'text'"), Is.EqualTo(1));
    }

    [Test]
    public async Task PlaintextPushGetsAPlaintextReplyAndAnUnmatchedTextGetsSuccess()
    {
        await RuleAsync(new { name = "hours", match = "exact", keywords = new[] { "hours" }, reply = new { type = "text", content = "9 to 5" } });

        var matched = await AskAsync(_passive.BuildText(Follower, " Hours ", 8_000_010), SecurityMode.Plaintext);
        var unmatched = await AskAsync(_passive.BuildText(Follower, "hours please", 8_000_011), SecurityMode.Plaintext);

        Assert.That(matched!["Content"], Is.EqualTo("9 to 5"));
        Assert.That(unmatched, Is.Null, "no rule, no default: answered success");
    }

    [Test]
    public async Task FollowersTextWithLiquidAndCdataEndIsDataNotCodeNorBrokenXml()
    {
        await RuleAsync(new { name = "echo", match = "contains", keywords = new[] { "echo" }, reply = new { type = "text", content = "You said: {{ message.content }}" } });

        var reply = await AskAsync(_passive.BuildText(Follower, "echo {{ 7 | plus: 1 }} ]]> <b>&amp;", 8_000_020));

        Assert.That(reply!["Content"], Is.EqualTo("You said: echo {{ 7 | plus: 1 }} ]]> <b>&amp;"));
    }

    [Test]
    public async Task HigherPriorityWinsAndTheAccountsOwnRuleBeatsOneForAllAccountsAtTheSamePriority()
    {
        await RuleAsync(new { name = "low", match = "contains", keywords = new[] { "menu" }, priority = 1, reply = new { type = "text", content = "low" } });
        await RuleAsync(new { name = "all", match = "contains", keywords = new[] { "menu" }, priority = 5, reply = new { type = "text", content = "all" } });
        await RuleAsync(new { appId = TestAccounts.PassiveAppId, name = "own", match = "contains", keywords = new[] { "menu" }, priority = 5, reply = new { type = "text", content = "own" } });

        var reply = await AskAsync(_passive.BuildText(Follower, "menu", 8_000_030));

        Assert.That(reply!["Content"], Is.EqualTo("own"));
    }

    [Test]
    public async Task FollowThroughAQrSceneGetsTheSceneRuleAndAPlainFollowTheGeneralOne()
    {
        await RuleAsync(new { name = "welcome", match = "event", @event = "subscribe", reply = new { type = "text", content = "Welcome!" } });
        await RuleAsync(new { name = "store 42", match = "event", @event = "subscribe", eventKey = "store42", priority = 5, reply = new { type = "text", content = "Welcome to store 42, scene {{ message.scene }}" } });

        var viaScene = await AskAsync(_passive.BuildEvent("o_scene", "subscribe", "qrscene_store42"), openId: "o_scene");
        var plain = await AskAsync(_passive.BuildEvent("o_plain", "subscribe"), openId: "o_plain");

        Assert.That(viaScene!["Content"], Is.EqualTo("Welcome to store 42, scene store42"));
        Assert.That(plain!["Content"], Is.EqualTo("Welcome!"));
    }

    [Test]
    public async Task ClickGetsItsNewsReplyAndADefaultRuleAnswersWhatNothingElseDid()
    {
        await RuleAsync(new
        {
            name = "menu news", match = "event", @event = "CLICK", eventKey = "V1001_NEWS",
            reply = new { type = "news", articles = new[] { new { title = "Hello {{ member.nickname | default: 'friend' }}", description = "d", picUrl = "https://p/x.png", url = "https://example.com/a" } } },
        });
        await RuleAsync(new { name = "fallback", match = "default", reply = new { type = "text", content = "We will answer soon." } });

        var news = await AskAsync(_passive.BuildEvent(Follower, "CLICK", "V1001_NEWS"));
        var image = await AskAsync($"<xml><ToUserName><![CDATA[{_passive.OriginalId}]]></ToUserName><FromUserName><![CDATA[{Follower}]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[https://p]]></PicUrl><MediaId><![CDATA[m]]></MediaId><MsgId>8000040</MsgId></xml>");

        Assert.That(news!["MsgType"], Is.EqualTo("news"));
        Assert.That(news.Root.Element("Articles")!.Element("item")!.Element("Title")!.Value, Is.EqualTo("Hello friend"));
        Assert.That(image!["Content"], Is.EqualTo("We will answer soon."));
    }

    [TestCase("default", null, null, "match", TestName = "ASteerRuleOnEveryMessageIsRefused")]
    [TestCase("event", "subscribe", null, "match", TestName = "ASteerRuleOnAFollowIsRefusedLiveCodesDoThat")]
    [TestCase("contains", null, "image", "reply", TestName = "ASteerRuleWhoseIntroIsNotTextIsRefused")]
    [TestCase("contains", null, "dance", "action", TestName = "AnUnknownRuleActionIsRefused")]
    public async Task ARuleThatCannotSteerIsRefusedAtSaveTime(string match, string? evt, string? variant, string field)
    {
        var response = await CreateRuleAsync(new
        {
            name = "steer", match, keywords = new[] { "group" }, @event = evt, action = variant == "dance" ? "dance" : "steer",
            reply = variant == "image" ? new { type = "image", mediaId = "MEDIA" } : null,
        });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString(), Is.EqualTo(field));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM auto_reply"), Is.Zero);
    }

    [Test]
    public async Task ASteerRuleIsAnsweredSuccessInTheResponseAndTheTryBoxSaysItSteers()
    {
        await MemberNamedAsync("Li Lei");
        await RuleAsync(new
        {
            name = "join", match = "exact", keywords = new[] { "group" }, priority = 10, action = "steer",
            reply = new { type = "text", content = "{{ group.name }} is for you, {{ member.nickname }}" },
        });

        var reply = await AskAsync(_passive.BuildText(Follower, "group", 8_000_100));
        var tried = await _admin.GetFromJsonAsync<JsonElement>($"/api/admin/auto-replies/try?appId={TestAccounts.PassiveAppId}&text=group");
        var saved = (await _admin.GetFromJsonAsync<JsonElement>("/api/admin/auto-replies"))[0];

        Assert.That(reply, Is.Null, "the invitation goes through the queue, not the passive reply");
        Assert.That(tried.GetProperty("action").GetString(), Is.EqualTo("steer"));
        Assert.That(saved.GetProperty("action").GetString(), Is.EqualTo("steer"));
    }

    [TestCase("Hi {% if member.nickname %}", "line", TestName = "UnclosedTagIsRefusedWithItsPosition")]
    [TestCase("Hi {{ member.nickname | shout }}", "shout", TestName = "UnknownFilterIsRefusedByName")]
    [TestCase("Hi {{ member.nickname ", "line", TestName = "UnclosedOutputIsRefusedWithItsPosition")]
    public async Task ReplyWhoseLiquidCannotRunIsRefusedAtSaveTime(string content, string said)
    {
        var response = await CreateRuleAsync(new { name = "broken", match = "contains", keywords = new[] { "x" }, reply = new { type = "text", content } });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("field").GetString(), Is.EqualTo("content"));
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain(said));
        if (said == "line")
        {
            Assert.That(problem.GetProperty("line").GetInt32(), Is.EqualTo(1));
            Assert.That(problem.GetProperty("column").GetInt32(), Is.GreaterThan(1));
        }

        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM auto_reply"), Is.Zero);
    }

    [Test]
    public async Task UnknownFilterIsRefusedAtTheLineAndColumnWhereItsNameStarts()
    {
        var response = await CreateRuleAsync(new { name = "shout", match = "contains", keywords = new[] { "x" }, reply = new { type = "text", content = "Hi\n{{ member.nickname | shout }}" } });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("field").GetString(), Is.EqualTo("content"));
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("unknown filter 'shout'"));
        Assert.That(problem.GetProperty("line").GetInt32(), Is.EqualTo(2));
        Assert.That(problem.GetProperty("column").ValueKind, Is.EqualTo(JsonValueKind.Number), "the column is given");
        Assert.That(problem.GetProperty("column").GetInt32(), Is.EqualTo(22));
    }

    [Test]
    public async Task ParseErrorIsOneSentenceWithItsPositionOnceAndWithoutTheSourceEcho()
    {
        var response = await CreateRuleAsync(new { name = "open", match = "contains", keywords = new[] { "x" }, reply = new { type = "text", content = "Hi {{ member.nickname " } });

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(detail, Does.Not.Contain("Source:").And.Not.Contain("\n"));
        Assert.That(detail, Does.StartWith("content: the Liquid does not parse: "));
        Assert.That(detail.Split("line ").Length - 1, Is.EqualTo(1), detail);
        Assert.That(detail, Does.Not.Match(@"\(\d+:\d+\)"), "Fluid's own (line:column) is not repeated");
        Assert.That(detail, Does.EndWith($"(line 1, column {problem.GetProperty("column").GetInt32()})"));
    }

    [Test]
    public async Task TemplateReadingAFieldTheModelLacksIsRefusedNamingThePathAndWhatExists()
    {
        var response = await _admin.PostAsJsonAsync("/api/admin/templates", new { name = "typo", reply = new { type = "text", content = "Hello\n  {{ member.name }}" } });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("field").GetString(), Is.EqualTo("content"));
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("'member.name'").And.Contain("nickname").And.Contain("points.balance"));
        Assert.That(problem.GetProperty("line").GetInt32(), Is.EqualTo(2));
        Assert.That(problem.GetProperty("column").GetInt32(), Is.EqualTo(6));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM reply_template"), Is.Zero);
    }

    [Test]
    public async Task OnlyUnknownModelFieldsAreRefusedNotTheTemplatesOwnVariablesOrNestedFields()
    {
        string[] saved =
        [
            "{% assign x = 1 %}{{ x }}",
            "{{ member.points.balance }}",
            "{{ member.nickname | default: 'friend' }} {{ message.content }} {{ account.name }} {{ group.name }}",
            "{% capture who %}{{ member.tier }}{% endcapture %}{{ who.size }}{% for m in (1..2) %}{{ m.anything }}{% endfor %}{{ forloop.x }}",
        ];
        string[] refused = ["{{ message.text }}", "{% if account.owner %}x{% endif %}", "{{ member.points.spent }}", "{{ group.city | upcase }}"];

        foreach (var (content, i) in saved.Select((c, i) => (c, i)))
        {
            var response = await _admin.PostAsJsonAsync("/api/admin/templates", new { name = $"ok {i}", reply = new { type = "text", content } });
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), $"{content}: {await response.Content.ReadAsStringAsync()}");
        }

        foreach (var content in refused)
        {
            var response = await _admin.PostAsJsonAsync("/api/admin/templates", new { name = "bad", reply = new { type = "text", content } });
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), content);
        }

        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM reply_template"), Is.EqualTo(saved.Length));
    }

    [Test]
    public async Task ARuleStoredBeforeUnknownFieldsWereRefusedKeepsAnsweringWithTheFieldBlank()
    {
        await RuleAsync(new { name = "old", match = "exact", keywords = new[] { "old" }, reply = new { type = "text", content = "Hi {{ member.nickname }}!" } });
        await Database.ExecuteAsync("""UPDATE auto_reply SET reply = '{"type": "text", "content": "Hi {{ member.name }}!"}'""");
        await RuleAsync(new { name = "reload", match = "exact", keywords = new[] { "reload" }, reply = new { type = "text", content = "x" } });

        var reply = await AskAsync(_passive.BuildText(Follower, "old", 8_000_040));

        Assert.That(reply?["Content"], Is.EqualTo("Hi !"));
    }

    [Test]
    public async Task CatastrophicPatternRunsInLinearTimeAndABackReferenceIsRefused()
    {
        await RuleAsync(new { name = "evil", match = "regex", keywords = new[] { "(a+)+$" }, reply = new { type = "text", content = "matched" } });
        var backReference = await CreateRuleAsync(new { name = "backref", match = "regex", keywords = new[] { "(a)\\1" }, reply = new { type = "text", content = "x" } });

        var reply = await AskAsync(_passive.BuildText(Follower, new string('a', 5000) + "!", 8_000_050));

        Assert.That(reply, Is.Null, "no match, and the push was answered");
        Assert.That(backReference.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await backReference.Content.ReadAsStringAsync(), Does.Contain("keywords"));
    }

    [Test]
    public async Task DisablingARuleTakesEffectWithoutARestart()
    {
        var id = await RuleAsync(new { name = "promo", match = "contains", keywords = new[] { "promo" }, reply = new { type = "text", content = "20% off" } });
        Assert.That((await AskAsync(_passive.BuildText(Follower, "promo?", 8_000_060)))!["Content"], Is.EqualTo("20% off"));

        var update = await _admin.PutAsJsonAsync($"/api/admin/auto-replies/{id}", new { name = "promo", match = "contains", keywords = new[] { "promo" }, enabled = false, reply = new { type = "text", content = "20% off" } });

        Assert.That(update.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await AskAsync(_passive.BuildText(Follower, "promo?", 8_000_061)), Is.Null);
    }

    [Test]
    public async Task TemplateIsPreviewedForAMemberAndUsedByARuleAndCannotBeDeletedWhileUsed()
    {
        await MemberNamedAsync("Han Meimei");
        var memberId = await Database.ScalarAsync<ulong>("SELECT id FROM member");
        var created = await _admin.PostAsJsonAsync("/api/admin/templates", new { name = "greeting", reply = new { type = "text", content = "Dear {{ member.nickname }} ({{ member.tier }})" } });
        var templateId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
        await RuleAsync(new { name = "hello", match = "exact", keywords = new[] { "hello" }, templateId });

        var preview = await _admin.PostAsJsonAsync($"/api/admin/templates/{templateId}/preview", new { memberId });
        var reply = await AskAsync(_passive.BuildText(Follower, "hello", 8_000_070));
        var delete = await _admin.DeleteAsync($"/api/admin/templates/{templateId}");

        Assert.That((await preview.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("content").GetString(), Is.EqualTo("Dear Han Meimei (basic)"));
        Assert.That(reply!["Content"], Is.EqualTo("Dear Han Meimei (basic)"));
        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
    }

    [Test]
    public async Task TryingAMessageShowsTheMatchingRuleAndItsReplyAndChangesNothing()
    {
        var id = await RuleAsync(new { name = "price", match = "contains", keywords = new[] { "price" }, reply = new { type = "text", content = "{{ message.content | upcase }}" } });
        using var viewer = AdminClient(TestAccounts.ViewerKey);

        var tried = await viewer.GetAsync($"/api/admin/auto-replies/try?appId={TestAccounts.PassiveAppId}&text=price%3F");
        var nothing = await viewer.GetAsync($"/api/admin/auto-replies/try?appId={TestAccounts.PassiveAppId}&text=weather");
        var viewerWrite = await viewer.PostAsJsonAsync("/api/admin/auto-replies", new { name = "x", match = "contains", keywords = new[] { "x" }, reply = new { type = "text", content = "x" } });

        var result = await tried.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(result.GetProperty("ruleId").GetUInt64(), Is.EqualTo(id));
        Assert.That(result.GetProperty("reply").GetProperty("content").GetString(), Is.EqualTo("PRICE?"));
        var none = await nothing.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(none.TryGetProperty("ruleId", out var noRule) ? noRule.ValueKind : JsonValueKind.Null, Is.EqualTo(JsonValueKind.Null), "no rule matches");
        Assert.That(viewerWrite.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push"), Is.Zero);
    }

    [Test]
    public async Task RulesAreListedInTheOrderTheyAreTriedAndTheFirstInThatOrderAnswers()
    {
        var fallback = await RuleAsync(new { name = "fallback", match = "default", priority = 100, reply = new { type = "text", content = "fallback" } });
        var globalLow = await RuleAsync(new { name = "global low", match = "contains", keywords = new[] { "hi" }, priority = 1, reply = new { type = "text", content = "global low" } });
        var ownLow = await RuleAsync(new { appId = TestAccounts.PassiveAppId, name = "own low", match = "contains", keywords = new[] { "hi" }, priority = 1, reply = new { type = "text", content = "own low" } });
        var globalHigh = await RuleAsync(new { name = "global high", match = "contains", keywords = new[] { "hi" }, priority = 5, reply = new { type = "text", content = "global high" } });

        var listed = (await _admin.GetFromJsonAsync<JsonElement>("/api/admin/auto-replies")).EnumerateArray().Select(r => r.GetProperty("id").GetUInt64());
        var reply = await AskAsync(_passive.BuildText(Follower, "hi", 8_000_090));

        Assert.That(listed, Is.EqualTo(new[] { globalHigh, ownLow, globalLow, fallback }), "priority, then the account's own, then older; default last");
        Assert.That(reply!["Content"], Is.EqualTo("global high"), "the first listed rule that matches answers");
    }

    [TestCase("qrscene_spring")]
    [TestCase("spring")]
    public async Task TryingAFollowThroughAQrCodeRendersTheSceneAsALivePushDoes(string eventKey)
    {
        await RuleAsync(new { name = "welcome", match = "event", @event = "subscribe", reply = new { type = "text", content = "scene={{ message.scene }}" } });

        var tried = await _admin.GetFromJsonAsync<JsonElement>($"/api/admin/auto-replies/try?appId={TestAccounts.PassiveAppId}&event=subscribe&eventKey={eventKey}");
        var live = await AskAsync(_passive.BuildEvent(Follower, "subscribe", "qrscene_spring"));

        Assert.That(tried.GetProperty("reply").GetProperty("content").GetString(), Is.EqualTo("scene=spring"));
        Assert.That(live!["Content"], Is.EqualTo("scene=spring"));
    }

    [Test]
    public async Task APassiveWelcomeShowsThePointsTheFollowItselfAwarded()
    {
        var points = await _admin.PostAsJsonAsync("/api/admin/points/rules", new { name = "follow", trigger = "subscribe", points = 100, enabled = true });
        Assert.That(points.StatusCode, Is.EqualTo(HttpStatusCode.Created), await points.Content.ReadAsStringAsync());
        await RuleAsync(new { name = "welcome", match = "event", @event = "subscribe", reply = new { type = "text", content = "Welcome {{ member.nickname | default: 'friend' }}: {{ member.points.balance }} points" } });
        var follow = _passive.BuildEvent("o_welcome_points", "subscribe");

        var first = await AskAsync(follow, openId: "o_welcome_points");
        var retry = await AskAsync(follow, openId: "o_welcome_points");
        await ProcessPushesAsync();

        Assert.That(first!["Content"], Is.EqualTo("Welcome friend: 100 points"), "rendered after the follow's own award, for a member the push created");
        Assert.That(retry!["Content"], Is.EqualTo("Welcome friend: 100 points"), "WeChat's retry gets the same answer");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM points_ledger"), Is.EqualTo(1), "one award");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send"), Is.Zero, "answered in the response, so nothing is queued");
        Assert.That(await Database.ScalarAsync<string>("SELECT status FROM wechat_push"), Is.EqualTo("processed"));
    }

    [Test]
    public async Task APassivePushAnsweredSuccessForWantOfARuleGetsNoReplyLaterFromARuleAddedMeanwhile()
    {
        var unanswered = await AskAsync(_passive.BuildText(Follower, "opening hours?", 8_000_095));
        await RuleAsync(new { name = "hours", match = "contains", keywords = new[] { "hours" }, reply = new { type = "text", content = "Open 9 to 5" } });
        await ProcessPushesAsync();

        Assert.That(unanswered, Is.Null, "no rule when WeChat asked");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send"), Is.Zero, "the reply was the request's to give, and it gave none");
    }

    [Test]
    public async Task TextLongerThanWechatAcceptsIsCutAtACharacterBoundary()
    {
        await RuleAsync(new { name = "long", match = "contains", keywords = new[] { "long" }, reply = new { type = "text", content = "{% for i in (1..2000) %}好{% endfor %}" } });

        var reply = await AskAsync(_passive.BuildText(Follower, "long", 8_000_080));

        Assert.That(System.Text.Encoding.UTF8.GetByteCount(reply!["Content"]!), Is.LessThanOrEqualTo(2048));
        Assert.That(reply["Content"], Does.EndWith("好…"));
    }
}
