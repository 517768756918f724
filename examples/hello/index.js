import ms from 'ms'
import pc from 'picocolors'
import semver from 'semver'

console.log(
  pc.green(
    `installed by tote: semver says 1.2.3 < 2.0.0 is ${semver.lt('1.2.3', '2.0.0')}, ms(90000) = ${ms(90000)}`,
  ),
)
