import os
import re

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class PacerConan(ConanFile):
    name = "pacer"
    description = "k6-compatible HTTP load testing as a C++20 library"
    license = "MIT"
    topics = ("load-testing", "http", "k6", "header-only")
    package_type = "header-library"
    # Kept for validate() only: package_id() clears them.
    settings = "os", "arch", "compiler", "build_type"
    no_copy_source = True

    # The recipe lives one level below the sources.
    @property
    def _source_root(self):
        return os.path.join(self.recipe_folder, "..")

    def set_version(self):
        if not self.version:
            header = load(self, os.path.join(self._source_root, "include", "pacer", "version.hpp"))
            self.version = re.search(r'#define PACER_VERSION_STRING "([^"]+)"', header).group(1)

    def export_sources(self):
        copy(self, "LICENSE", self._source_root, self.export_sources_folder)
        copy(self, "include/*", self._source_root, self.export_sources_folder)

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # A header-library's requirements are made transitive (headers and libs) by Conan.
        self.requires("boost/[>=1.81 <2]")
        self.requires("openssl/[>=3 <4]")
        self.requires("nlohmann_json/[>=3.11 <4]")

    def package_id(self):
        self.info.clear()

    def validate(self):
        check_min_cppstd(self, 20)
        # POSIX sockets, signals and files are used directly.
        if self.settings.os == "Windows":
            raise ConanInvalidConfiguration(f"{self.ref} supports POSIX systems only")

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        copy(self, "*", os.path.join(self.source_folder, "include"),
             os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "pacer")
        self.cpp_info.set_property("cmake_target_name", "pacer::pacer")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        # What the CMake target links: Boost's headers (Asio, Beast), not its compiled libraries.
        self.cpp_info.requires = ["boost::headers", "openssl::ssl", "openssl::crypto",
                                  "nlohmann_json::nlohmann_json"]
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread"]
