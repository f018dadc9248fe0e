using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.OpsConsole;

/// <summary>The consumer profile and segments in the console (issue 18).</summary>
public sealed class ProfileConsoleTests : ConsoleTest
{
    private static async Task AddMembersAsync()
    {
        await Database.ExecuteAsync(
            """
            INSERT INTO member (id, nickname, stage, created_at, last_interaction_at) VALUES
              (1, 'sleepy one', 'dormant', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) - INTERVAL 100 DAY),
              (2, 'sleepy two', 'dormant', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) - INTERVAL 120 DAY),
              (3, 'busy', 'customer', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            INSERT INTO member_tag (member_id, tag, source) VALUES (3, 'coffee-lover', 'rule');
            INSERT INTO member_rfm (member_id, last_order_at, orders, amount, r, f, m, scored_at) VALUES (3, UTC_TIMESTAMP(6), 7, 1280.50, 5, 4, 3, UTC_TIMESTAMP(6));
            """);
    }

    [Test]
    public async Task ASegmentMadeInTheConsoleShowsItsCountAndMembers()
    {
        await AddMembersAsync();
        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/segments");

        await Page.ClickAsync("main button.new");
        await Page.FillAsync("#segment-form [name='name']", "win-back");
        await Page.FillAsync("#segment-form [name='filter.stages']", "dormant");
        await Page.ClickAsync("#segment-count-draft");
        await Page.WaitForSelectorAsync("#segment-count");
        Assert.That(await Page.TextContentAsync("#segment-count"), Is.EqualTo("2"), "the live count before saving");
        await Page.ClickAsync("#segment-form button[type=submit]");
        await Page.WaitForSelectorAsync("main table >> text=win-back");

        await Page.ClickAsync("main table button.preview");
        await Page.WaitForSelectorAsync("#segment-preview");
        Assert.That(await Page.TextContentAsync("#segment-count"), Is.EqualTo("2"));
        Assert.That(await Page.TextContentAsync("#segment-preview table"), Does.Contain("sleepy one").And.Contain("sleepy two").And.Not.Contain("busy"));
        await ScreenshotAsync("segments");
    }

    [Test]
    public async Task AnUnknownTagInASegmentIsNamedBesideItsField()
    {
        await AddMembersAsync();
        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/segments");

        await Page.ClickAsync("main button.new");
        await Page.FillAsync("#segment-form [name='name']", "typo");
        await Page.FillAsync("#segment-form [name='filter.tagsAny']", "cofee-lover");
        await Page.ClickAsync("#segment-form button[type=submit]");

        await Page.WaitForSelectorAsync("#segment-form .status.error");
        Assert.That(await Page.TextContentAsync("#segment-form .field:has([name='filter.tagsAny']) .field-error"), Does.Contain("cofee-lover"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM segment"), Is.Zero);
    }

    [Test]
    public async Task AMembersRfmAndTagsShowOnItsDetailAndTagsAreEditedThere()
    {
        await AddMembersAsync();
        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/members/3");

        Assert.That(await Page.TextContentAsync("#member-rfm"), Does.StartWith("R5 F4 M3"));
        Assert.That(await Page.TextContentAsync("#member-tags"), Is.EqualTo("coffee-lover"));
        await Page.FillAsync("#member-tags-form [name='tags']", "coffee-lover, vip");
        await Page.ClickAsync("#member-tags-form button[type=submit]");

        await Page.WaitForFunctionAsync("() => document.querySelector('#member-tags')?.textContent === 'coffee-lover, vip'");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_tag WHERE member_id = 3"), Is.EqualTo(2));
    }
}
