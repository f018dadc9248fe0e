using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Events;

/// <summary>The <c>Events</c> section: offline events, their tickets and reminders.</summary>
public sealed class EventsOptions
{
    public const string Section = "Events";

    /// <summary>
    /// The HMAC key that signs ticket codes (at least 32 characters; a secret: environment or secret store). Without
    /// it events can be created and listed, but registering (which issues tickets) and check-in answer 503 naming this key.
    /// Changing it invalidates every ticket issued before.
    /// </summary>
    [MinLength(32)]
    public string? TicketKey { get; set; }

    /// <summary>Hours before an event starts its registered members are reminded.</summary>
    [Range(1, 720)]
    public int ReminderHoursBefore { get; set; } = 24;

    /// <summary>How often the worker looks for reminders and promotion notices that are due.</summary>
    [Range(1, 3600)]
    public int ReminderCheckSeconds { get; set; } = 60;

    /// <summary>The reminder's text; {title}, {store} and {startsAt} are replaced.</summary>
    [Required]
    [StringLength(500, MinimumLength = 1)]
    public string ReminderText { get; set; } = "Reminder: {title} at {store} starts at {startsAt}. Show your ticket at the door.";

    /// <summary>The notice to a member promoted from the waitlist when a seat frees up; {title}, {store} and {startsAt} are replaced.</summary>
    [Required]
    [StringLength(500, MinimumLength = 1)]
    public string PromotionText { get; set; } = "Good news: a seat at {title} ({store}, {startsAt}) is yours. Your ticket is in the mini-program.";

    /// <summary>Template message id per official account (<c>Events:ReminderTemplates:{appId}</c>) for the reminder and the promotion notice, for followers whose customer-service window is closed.</summary>
    public Dictionary<string, string> ReminderTemplates { get; set; } = [];
}
