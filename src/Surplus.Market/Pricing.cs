namespace Surplus.Market;

/// <summary>
/// The arithmetic of money: <c>rate × hours × price</c>, rounded half away from zero to the
/// currency's minor unit. Pure functions; overflow throws (an overflow is money).
/// </summary>
public static class Pricing
{
    /// <summary>The amount for holding <paramref name="rate"/> over <paramref name="window"/> at <paramref name="price"/>.</summary>
    public static Money Amount(Rate rate, Window window, Price price, int minorUnitDigits)
    {
        var exact = rate.Value * price.PerUnitHour * (window.EndTicks - window.StartTicks) / TimeSpan.TicksPerHour;
        return ToMinor(exact, minorUnitDigits);
    }

    /// <summary>
    /// What one unit of rate over the window costs at the price, rounded up to the minor unit.
    /// A hold of <c>rate × this</c> covers every fill of the order exactly: each fill of <c>f</c>
    /// units costs at most <c>f × this</c>, however the amounts round.
    /// </summary>
    public static Money UnitCeiling(Window window, Price price, int minorUnitDigits)
    {
        var scale = Scale(minorUnitDigits);
        var exact = price.PerUnitHour * (window.EndTicks - window.StartTicks) / TimeSpan.TicksPerHour * scale;
        return new Money(checked((long)Math.Ceiling(exact)));
    }

    /// <summary>The exchange's fee on an amount, in basis points, rounded half away from zero.</summary>
    public static Money Fee(Money amount, int feeBasisPoints) =>
        new((long)Math.Round(amount.Minor * (decimal)feeBasisPoints / 10_000m, 0, MidpointRounding.AwayFromZero));

    /// <summary>The price per unit-hour that a total for a whole window amounts to, rounded half away from zero to the tick.</summary>
    public static Price UnitPrice(decimal total, Rate rate, TimeSpan length, decimal tick)
    {
        var perUnitHour = total / rate.Value / (decimal)length.Ticks * TimeSpan.TicksPerHour;
        return new Price(Math.Round(perUnitHour / tick, 0, MidpointRounding.AwayFromZero) * tick);
    }

    /// <summary>True when the price is a whole number of ticks.</summary>
    public static bool IsOnTick(Price price, decimal tick) => price.PerUnitHour % tick == 0;

    private static Money ToMinor(decimal amount, int digits)
    {
        var rounded = Math.Round(amount, digits, MidpointRounding.AwayFromZero);
        return new Money(checked((long)(rounded * Scale(digits))));
    }

    private static decimal Scale(int digits)
    {
        decimal scale = 1;
        for (var i = 0; i < digits; i++)
        {
            scale *= 10;
        }

        return scale;
    }
}
