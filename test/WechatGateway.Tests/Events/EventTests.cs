using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Events;
using WechatGateway.Tests.Feedback;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Events;

/// <summary>Events with QR tickets: registration under contention, the waitlist, check-in at the door and its refusals, the reminder.</summary>
public sealed class EventTests : AfterSaleTest
{
    private static async Task<ulong> EventAsync(HttpClient admin, long storeId, int capacity, int points = 50, DateTimeOffset? startsAt = null, DateTimeOffset? deadline = null, long? segmentId = null)
    {
        var starts = startsAt ?? DateTimeOffset.UtcNow.AddDays(3);
        return await CreateAsync(admin, "/api/admin/events", new
        {
            storeId, title = "Pour-over tasting", startsAt = starts, endsAt = starts.AddHours(2), capacity, points, registrationDeadline = deadline, segmentId,
        });
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> RegisterAsync(HttpClient member, ulong eventId)
    {
        using var response = await member.PostAsync($"/api/mp/events/{eventId}/registrations", null);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static async Task<HttpClient> MemberAsync(string openId) => (await MiniProgramClient.LoginAsync(openId)).Client;

    private static async Task<HttpResponseMessage> CheckInAsync(HttpClient staff, ulong eventId, string code) =>
        await staff.PostAsJsonAsync($"/api/admin/events/{eventId}/checkins", new { code });

    [Test]
    public async Task TheLastSeatGoesToExactlyOneOf64ConcurrentRegistrationsAndTheRestAreWaitlistedInOrder()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        await TestStores.AddAsync(1);
        var eventId = await EventAsync(admin, 1, capacity: 2);
        using var early = await MemberAsync("o_ev_early");
        Assert.That((await RegisterAsync(early, eventId)).Body.GetProperty("status").GetString(), Is.EqualTo("registered"));
        var members = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => MemberAsync($"o_ev_race_{i}")));

        var results = await Task.WhenAll(members.Select(m => RegisterAsync(m, eventId)));

        Assert.That(results.Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.Created));
        var winners = results.Where(r => r.Body.GetProperty("status").GetString() == "registered").ToList();
        Assert.That(winners, Has.Count.EqualTo(1), "exactly one takes the last seat");
        Assert.That(winners[0].Body.GetProperty("ticket").GetProperty("code").GetString(), Is.Not.Empty);
        Assert.That(results.Count(r => r.Body.GetProperty("status").GetString() == "waitlisted" && r.Body.GetProperty("ticket").ValueKind == JsonValueKind.Null), Is.EqualTo(63));
        var ev = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/events/{eventId}");
        Assert.That((ev.GetProperty("registered").GetInt32(), ev.GetProperty("waitlisted").GetInt32(), ev.GetProperty("seatsLeft").GetInt32()), Is.EqualTo((2, 63, 0)));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM event_ticket WHERE event_id = @eventId AND revoked_at IS NULL", new { eventId }), Is.EqualTo(2));
        foreach (var m in members)
        {
            m.Dispose();
        }
    }

    [Test]
    public async Task ATicketIsCheckedInOnceByTheEventStoresManagerAndForgedAlteredReusedAndOtherEventTicketsAreRefused()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var manager = AdminClient(TestAccounts.ManagerKey); // store 1 only
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        var tasting = await EventAsync(admin, 1, capacity: 10, points: 50);
        var elsewhere = await EventAsync(admin, 2, capacity: 10);
        using var lily = await MemberAsync("o_ev_lily");
        var ticket = (await RegisterAsync(lily, tasting)).Body.GetProperty("ticket");
        var code = ticket.GetProperty("code").GetString()!;
        var otherCode = (await RegisterAsync(lily, elsewhere)).Body.GetProperty("ticket").GetProperty("code").GetString()!;

        using var qr = await lily.GetAsync($"/api/mp/me/tickets/{ticket.GetProperty("id").GetUInt64()}/qr.png");
        var png = await qr.Content.ReadAsByteArrayAsync();
        Assert.That((qr.StatusCode, qr.Content.Headers.ContentType?.MediaType, png[1..4]), Is.EqualTo((HttpStatusCode.OK, "image/png", "PNG"u8.ToArray())));
        using var strangersQr = await (await MemberAsync("o_ev_stranger")).GetAsync($"/api/mp/me/tickets/{ticket.GetProperty("id").GetUInt64()}/qr.png");
        Assert.That(strangersQr.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a ticket is shown to its member only");

        using var byOtherStoresManager = await CheckInAsync(manager, elsewhere, otherCode);
        var altered = code[..^2] + (code[^2] == 'A' ? 'B' : 'A') + code[^1];
        var parts = code.Split('.');
        using var alteredId = await CheckInAsync(manager, tasting, $"{ulong.Parse(parts[0]) + 1}.{parts[1]}.{parts[2]}");
        using var alteredSignature = await CheckInAsync(manager, tasting, altered);
        using var forged = await CheckInAsync(manager, tasting, "1.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA");
        using var wrongEvent = await CheckInAsync(manager, tasting, otherCode);
        using var first = await CheckInAsync(manager, tasting, code);
        using var reused = await CheckInAsync(admin, tasting, code);

        Assert.That(byOtherStoresManager.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((alteredId.StatusCode, alteredSignature.StatusCode, forged.StatusCode), Is.EqualTo((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest)));
        Assert.That(wrongEvent.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK), await first.Content.ReadAsStringAsync());
        Assert.That((await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("awarded").GetInt64(), Is.EqualTo(50));
        Assert.That(reused.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await BalanceAsync(lily), Is.EqualTo(50), "the event's points, once");
        var ev = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/events/{tasting}");
        Assert.That(ev.GetProperty("checkedIn").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task CancellingGivesTheSeatToTheFirstOfTheWaitlistAndTheCancelledTicketNoLongerWorks()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        await TestStores.AddAsync(1);
        var eventId = await EventAsync(admin, 1, capacity: 1);
        using var ann = await MemberAsync("o_ev_ann");
        using var bob = await MemberAsync("o_ev_bob");
        using var cat = await MemberAsync("o_ev_cat");
        var annTicket = (await RegisterAsync(ann, eventId)).Body.GetProperty("ticket").GetProperty("code").GetString()!;
        Assert.That((await RegisterAsync(bob, eventId)).Body.GetProperty("status").GetString(), Is.EqualTo("waitlisted"));
        Assert.That((await RegisterAsync(cat, eventId)).Body.GetProperty("status").GetString(), Is.EqualTo("waitlisted"));

        var twice = await RegisterAsync(ann, eventId);
        using var cancelled = await ann.DeleteAsync($"/api/mp/events/{eventId}/registrations");
        using var cancelledAgain = await ann.DeleteAsync($"/api/mp/events/{eventId}/registrations");

        Assert.That(twice.Status, Is.EqualTo(HttpStatusCode.Conflict), "registering twice");
        Assert.That((cancelled.StatusCode, cancelledAgain.StatusCode), Is.EqualTo((HttpStatusCode.NoContent, HttpStatusCode.NotFound)));
        var bobs = (await bob.GetFromJsonAsync<JsonElement>("/api/mp/events")).EnumerateArray().Single().GetProperty("registration");
        var cats = (await cat.GetFromJsonAsync<JsonElement>("/api/mp/events")).EnumerateArray().Single().GetProperty("registration");
        Assert.That((bobs.GetProperty("status").GetString(), cats.GetProperty("status").GetString()), Is.EqualTo(("registered", "waitlisted")), "promoted in the order they joined");
        var bobsCode = bobs.GetProperty("ticket").GetProperty("code").GetString()!;
        using var annAtTheDoor = await CheckInAsync(admin, eventId, annTicket);
        using var bobAtTheDoor = await CheckInAsync(admin, eventId, bobsCode);
        Assert.That((annAtTheDoor.StatusCode, bobAtTheDoor.StatusCode), Is.EqualTo((HttpStatusCode.Conflict, HttpStatusCode.OK)));

        var annAgain = await RegisterAsync(ann, eventId);
        Assert.That((annAgain.Status, annAgain.Body.GetProperty("status").GetString()), Is.EqualTo((HttpStatusCode.Created, "waitlisted")), "back at the end of the queue");
    }

    [Test]
    public async Task RegistrationPastTheDeadlineOrOutsideTheEventsSegmentIsRefusedAndASegmentMemberGetsASeat()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        await TestStores.AddAsync(1);
        using var member = await MemberAsync("o_ev_late");
        using var insider = await MemberAsync("o_ev_vip");
        var insiderId = await Database.ScalarAsync<ulong>("SELECT member_id FROM member_identity WHERE open_id = 'o_ev_vip'");
        (await admin.PutAsJsonAsync($"/api/admin/members/{insiderId}/tags", new { tags = new[] { "vip" } })).EnsureSuccessStatusCode();
        var vips = await CreateAsync(admin, "/api/admin/segments", new { name = "VIPs", filter = new { tagsAll = new[] { "vip" } } });
        var closed = await EventAsync(admin, 1, capacity: 5, deadline: DateTimeOffset.UtcNow.AddMinutes(-1));
        var vip = await EventAsync(admin, 1, capacity: 5, segmentId: (long)vips);

        var late = await RegisterAsync(member, closed);
        var outside = await RegisterAsync(member, vip);
        var inside = await RegisterAsync(insider, vip);
        var missing = await RegisterAsync(member, 999_999);

        Assert.That((late.Status, late.Body.GetProperty("title").GetString()), Is.EqualTo((HttpStatusCode.Conflict, "Registration closed")));
        Assert.That((outside.Status, outside.Body.GetProperty("title").GetString()), Is.EqualTo((HttpStatusCode.Conflict, "Not open to this member")));
        Assert.That((inside.Status, inside.Body.GetProperty("status").GetString()), Is.EqualTo((HttpStatusCode.Created, "registered")), "a member of the segment gets a seat");
        Assert.That(missing.Status, Is.EqualTo(HttpStatusCode.NotFound));
        var ev = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/events/{vip}");
        Assert.That(ev.GetProperty("registered").GetInt32(), Is.EqualTo(1), "the refused registration took no seat");
        using var badDeadline = await admin.PostAsJsonAsync("/api/admin/events", new { storeId = 1, title = "x", startsAt = DateTimeOffset.UtcNow.AddDays(1), endsAt = DateTimeOffset.UtcNow.AddDays(1).AddHours(1), capacity = 5, points = 0, registrationDeadline = DateTimeOffset.UtcNow.AddDays(2) });
        using var unknownSegment = await admin.PostAsJsonAsync("/api/admin/events", new { storeId = 1, title = "x", startsAt = DateTimeOffset.UtcNow.AddDays(1), endsAt = DateTimeOffset.UtcNow.AddDays(1).AddHours(1), capacity = 5, points = 0, segmentId = 999_999 });
        Assert.That(badDeadline.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(unknownSegment.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await unknownSegment.Content.ReadAsStringAsync(), Does.Contain("segmentId"), "an event for a segment that does not exist");
    }

    [Test]
    public async Task RegisteredMembersAreRemindedOnceBeforeTheEventThroughTheQueue()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        await TestStores.AddAsync(1);
        var eventId = await EventAsync(admin, 1, capacity: 5, startsAt: DateTimeOffset.UtcNow.AddDays(2));
        using var member = await FollowingMemberAsync("o_ev_remind");
        Assert.That((await RegisterAsync(member, eventId)).Status, Is.EqualTo(HttpStatusCode.Created));

        var tooEarly = await JobAt<EventNoticeJob>(TimeSpan.Zero).RunOnceAsync(CancellationToken.None);
        var dayBefore = await JobAt<EventNoticeJob>(TimeSpan.FromHours(25)).RunOnceAsync(CancellationToken.None);
        var again = await JobAt<EventNoticeJob>(TimeSpan.FromHours(26)).RunOnceAsync(CancellationToken.None);
        await DeliverAsync();

        Assert.That((tooEarly, dayBefore, again), Is.EqualTo((0, 1, 0)));
        var reminder = (await MessagesToAsync("o_ev_remind")).Single();
        Assert.That(reminder.GetProperty("body").GetProperty("text").GetProperty("content").GetString(), Does.StartWith("Reminder: Pour-over tasting"));
    }

    [Test]
    public async Task AMemberPromotedFromTheWaitlistIsToldOnceThatTheSeatIsHers()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        await TestStores.AddAsync(1);
        var eventId = await EventAsync(admin, 1, capacity: 1, startsAt: DateTimeOffset.UtcNow.AddDays(5));
        using var holder = await FollowingMemberAsync("o_ev_holder");
        using var waiting = await FollowingMemberAsync("o_ev_waiting");
        Assert.That((await RegisterAsync(holder, eventId)).Body.GetProperty("status").GetString(), Is.EqualTo("registered"));
        Assert.That((await RegisterAsync(waiting, eventId)).Body.GetProperty("status").GetString(), Is.EqualTo("waitlisted"));
        var beforeCancel = await JobAt<EventNoticeJob>(TimeSpan.Zero).RunOnceAsync(CancellationToken.None);

        using var cancelled = await holder.DeleteAsync($"/api/mp/events/{eventId}/registrations");
        var promoted = await JobAt<EventNoticeJob>(TimeSpan.Zero).RunOnceAsync(CancellationToken.None);
        var again = await JobAt<EventNoticeJob>(TimeSpan.FromMinutes(1)).RunOnceAsync(CancellationToken.None);
        await DeliverAsync();

        Assert.That(cancelled.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((beforeCancel, promoted, again), Is.EqualTo((0, 1, 0)), "nobody is told before a seat frees up, and the promoted member once");
        var notice = (await MessagesToAsync("o_ev_waiting")).Single();
        Assert.That(notice.GetProperty("body").GetProperty("text").GetProperty("content").GetString(), Does.StartWith("Good news: a seat at Pour-over tasting"));
        Assert.That(await MessagesToAsync("o_ev_holder"), Is.Empty, "the member who cancelled is not told anything");
    }
}
