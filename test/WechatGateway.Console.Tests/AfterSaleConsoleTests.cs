using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using WechatGateway.Events;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.OpsConsole;

/// <summary>The console's feedback list and the event check-in screen staff use at the door.</summary>
public sealed class AfterSaleConsoleTests : ConsoleTest
{
    private static Task AddMemberAsync(long id, string nickname) =>
        Database.ExecuteAsync(
            "INSERT INTO member (id, nickname, stage, created_at, last_interaction_at) VALUES (@id, @nickname, 'customer', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
            new { id, nickname });

    private static Task AddAnswerAsync(long orderId, string orderNo, long memberId, long storeId, int rating, string comment) =>
        Database.ExecuteAsync(
            """
            INSERT INTO shop_order (id, order_no, amount, store_id, paid_at, member_id, created_at, matched_at)
            VALUES (@orderId, @orderNo, 128.50, @storeId, UTC_TIMESTAMP(6) - INTERVAL 3 DAY, @memberId, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            INSERT INTO order_feedback (order_id, member_id, store_id, rating, comment, awarded, alerted, created_at)
            VALUES (@orderId, @memberId, @storeId, @rating, @comment, 20, @rating <= 2, UTC_TIMESTAMP(6));
            """,
            new { orderId, orderNo, memberId, storeId, rating, comment });

    [Test]
    public async Task TheFeedbackListShowsEachAnswerWithItsOrderAndFiltersByRating()
    {
        await TestStores.AddAsync(1);
        await AddMemberAsync(501, "Lily");
        await AddMemberAsync(502, "Mia");
        await AddAnswerAsync(9001, "POS-GOOD-1", 501, 1, 5, "Lovely staff");
        await AddAnswerAsync(9002, "POS-BAD-2", 502, 1, 1, "<b>Waited</b> 40 minutes");

        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/feedback");

        var rows = await Page.Locator("#feedback-list tbody tr").AllInnerTextsAsync();
        Assert.That(rows, Has.Count.EqualTo(2));
        Assert.That(rows, Has.One.Contains("POS-BAD-2").And.Contains("128.50").And.Contains("<b>Waited</b> 40 minutes").And.Contains("yes"), "a comment is text, never markup");
        Assert.That(rows, Has.One.Contains("POS-GOOD-1").And.Contains("Lovely staff"));
        Assert.That(await Page.Locator("#feedback-list .rating.low").CountAsync(), Is.EqualTo(1));

        await Page.SelectOptionAsync("#feedback-filter [name=rating]", "1");
        await Page.ClickAsync("#feedback-filter button[type=submit]");
        await Page.WaitForFunctionAsync("() => document.querySelectorAll('#feedback-list tbody tr').length === 1");
        Assert.That(await Page.InnerTextAsync("#feedback-list tbody"), Does.Contain("POS-BAD-2"));
        await ScreenshotAsync("feedback-list");
    }

    [Test]
    public async Task AnAdminCreatesAnEventOpenToOneSavedSegmentPickedByName()
    {
        await TestStores.AddAsync(1);
        using var admin = Api(TestAccounts.AdminKey);
        using var segment = await admin.PostAsJsonAsync("/api/admin/segments", new { name = "Customers", filter = new { stages = new[] { "customer" } } });
        Assert.That(segment.StatusCode, Is.EqualTo(HttpStatusCode.Created), await segment.Content.ReadAsStringAsync());
        var segmentId = (await segment.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/events");
        await Page.ClickAsync("button.new");
        await Page.FillAsync("#event-form [name=storeId]", "1");
        await Page.FillAsync("#event-form [name=title]", "Customers' evening");
        await Page.FillAsync("#event-form [name=startsAt]", "2030-01-10T18:00");
        await Page.FillAsync("#event-form [name=endsAt]", "2030-01-10T20:00");
        await Page.FillAsync("#event-form [name=capacity]", "12");
        await Page.SelectOptionAsync("#event-form [name=segmentId]", new SelectOptionValue { Label = $"Customers (#{segmentId})" });
        await Page.ClickAsync("#event-form button[type=submit]");
        await Page.WaitForFunctionAsync("() => /^#\\/events\\/\\d+$/.test(location.hash)");

        Assert.That(await Database.ScalarAsync<long?>("SELECT segment_id FROM store_event WHERE title = 'Customers'' evening'"), Is.EqualTo(segmentId));
    }

    [Test]
    public async Task AStoreManagerChecksATicketInAtTheDoorOnceAndSeesAReusedOrForgedCodeRefused()
    {
        await TestStores.AddAsync(1);
        using var admin = Api(TestAccounts.AdminKey);
        var starts = DateTimeOffset.UtcNow.AddHours(1);
        using var created = await admin.PostAsJsonAsync("/api/admin/events", new { storeId = 1, title = "Member day tasting", startsAt = starts, endsAt = starts.AddHours(2), capacity = 30, points = 50 });
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var eventId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetUInt64();
        await AddMemberAsync(601, "Lily");
        const string nonce = "q2Xc9LrV0mT1bYp4sWnE3g";
        await Database.ExecuteAsync(
            """
            INSERT INTO event_registration (id, event_id, member_id, status, position, created_at, updated_at) VALUES (701, @eventId, 601, 'registered', 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            INSERT INTO event_ticket (id, registration_id, event_id, member_id, nonce, issued_at) VALUES (801, 701, @eventId, 601, @nonce, UTC_TIMESTAMP(6));
            UPDATE store_event SET registered = 1, last_position = 1 WHERE id = @eventId;
            """,
            new { eventId, nonce });
        var tickets = new EventTickets(Options.Create(new EventsOptions { TicketKey = TestAccounts.Settings["Events:TicketKey"] }));
        var code = tickets.Code(801, nonce);

        await SignInAsync(TestAccounts.ManagerKey);
        await GoAsync($"#/events/{eventId}");
        await Page.FillAsync("#checkin-code", code);
        await Page.PressAsync("#checkin-code", "Enter");
        await Page.WaitForSelectorAsync("#checkin-result .checkin.ok");
        Assert.That(await Page.InnerTextAsync("#checkin-result"), Does.Contain("Lily").And.Contain("+50 points"));
        await Page.WaitForFunctionAsync("() => document.querySelector('#event-registrations tbody').innerText.includes('UTC')");
        await ScreenshotAsync("event-checkin");

        await Page.FillAsync("#checkin-code", code);
        await Page.PressAsync("#checkin-code", "Enter");
        await Page.WaitForSelectorAsync("#checkin-result .checkin.refused");
        Assert.That(await Page.InnerTextAsync("#checkin-result"), Does.Contain("Ticket already used"));

        await Page.FillAsync("#checkin-code", code[..^2] + (code[^2] == 'A' ? 'B' : 'A') + code[^1]);
        await Page.PressAsync("#checkin-code", "Enter");
        await Page.WaitForFunctionAsync("() => document.querySelector('#checkin-result').innerText.includes('Invalid ticket')");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM event_ticket WHERE checked_in_at IS NOT NULL"), Is.EqualTo(1));
        Assert.That(await Page.EvaluateAsync<bool>("() => document.activeElement?.id === 'checkin-code'"), Is.True, "ready for the next scan");
    }
}
