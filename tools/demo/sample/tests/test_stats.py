import unittest

from calc.stats import average, spread


class StatsTest(unittest.TestCase):
    def test_average_of_three_numbers(self):
        self.assertEqual(average([2, 4, 6]), 4)

    def test_average_of_one_number(self):
        self.assertEqual(average([5]), 5)

    def test_average_of_nothing_is_an_error(self):
        with self.assertRaises(ValueError):
            average([])

    def test_spread(self):
        self.assertEqual(spread([3, 9, 4]), 6)


if __name__ == "__main__":
    unittest.main()
